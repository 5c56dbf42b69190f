"""The browser tests never reach outside the machine.

Selenium gets the system chromedriver, so it never runs Selenium Manager (which fetches driver
versions from the internet and sends usage statistics to plausible.io), and Selenium Manager
is told to stay offline should a release run it anyway. Chromium itself is watched with strace
while it starts and loads a page that links outside: no DNS query, no connection and nothing
sent to any address but loopback.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.console.browser import chrome as module

# A page on no server that asks for things outside, as a page with a stray external link would.
OUTSIDE_PAGE = (
    "data:text/html,<title>offline</title><p id=here>here</p>"
    '<img src="https://clients2.google.com/pixel.png">'
    '<link rel="stylesheet" href="https://fonts.googleapis.com/css">'
    '<img src="http://192.0.2.1/pixel.png">'
)
CALL = re.compile(r"^(?P<pid>\d+)\s+(?P<call>\w+)\((?P<fd>\d+)(?:<(?P<kind>[^>]*)>)?(?P<rest>.*)")
ADDRESS = re.compile(r'inet_addr\("(?P<v4>[^"]+)"\)|inet_pton\(AF_INET6?, "(?P<v6>[^"]+)"')
PORT = re.compile(r"(?:sin|sin6)_port=htons\((\d+)\)")
SENDS = {"sendto", "sendmsg", "sendmmsg", "write", "writev"}


def test_selenium_is_given_the_system_chromedriver_and_selenium_manager_stays_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, system_driver = module.require_browser()
    from selenium.webdriver.common.driver_finder import DriverFinder
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    for name in module.SELENIUM_MANAGER_OFFLINE:
        monkeypatch.delenv(name, raising=False)

    def no_manager(*args: object) -> dict[str, str]:
        raise AssertionError("Selenium Manager was asked for a driver")

    monkeypatch.setattr(SeleniumManager, "binary_paths", no_manager)
    service, options, _ = module.browser_setup(tmp_path)
    assert service.path == system_driver
    assert Path(system_driver).resolve() == Path(shutil.which("chromedriver") or "").resolve()
    assert DriverFinder(service, options).get_driver_path() == system_driver
    # Before any driver starts, in this process's environment (Selenium Manager inherits it).
    assert os.environ["SE_OFFLINE"] == "true"
    assert os.environ["SE_AVOID_STATS"] == "true"


def test_chromium_and_its_driver_reach_nothing_outside_the_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, system_driver = module.require_browser()
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("no strace on this machine: apt-get install strace to watch the browser")
    if subprocess.run([strace, "-o", os.devnull, "true"], capture_output=True).returncode:
        pytest.skip("strace cannot trace here (ptrace refused)")
    trace = tmp_path / "network.trace"
    # chromedriver under strace, and with it Chromium and all its processes.
    wrapper = tmp_path / "chromedriver"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"exec {strace} -f -qq -yy -s 0 -o {trace} "
        "-e trace=connect,sendto,sendmsg,sendmmsg,write,writev "
        f'{system_driver} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setattr(module, "chromedriver_path", lambda: str(wrapper))
    # This process (Selenium's client) talks to chromedriver on loopback only.
    monkeypatch.setattr(socket.socket, "connect", _loopback_only(socket.socket.connect))
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    monkeypatch.setattr(SeleniumManager, "binary_paths", _refuse)

    browser = module.start_chrome(tmp_path / "chrome")
    try:
        browser.driver.get(OUTSIDE_PAGE)
        assert browser.driver.find_element("id", "here").text == "here"
    finally:
        browser.quit()
    assert trace.exists() and trace.stat().st_size > 0
    assert outside_traffic(trace.read_text()) == []


def _refuse(*args: object) -> Any:
    raise AssertionError("Selenium Manager was asked for a driver")


def _loopback_only(connect: Any) -> Any:
    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            raise AssertionError(f"the browser tests tried to reach {address}")
        return connect(self, address)

    return guarded


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    address = ipaddress.ip_address(host)
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def outside_traffic(trace: str) -> list[str]:
    """Every traced call that looks up a name or sends to, or connects to, a host outside.

    Allowed: loopback, and a UDP connect() to an outside address on which nothing is sent:
    Chromium and chromedriver ask the kernel for a route that way (is IPv6 reachable?), which
    puts no packet on the wire.
    """
    probes: set[tuple[str, str]] = set()
    found = []
    for line in trace.splitlines():
        call = CALL.match(line)
        if call is None:
            continue
        key, kind = (call["pid"], call["fd"]), call["kind"] or ""
        addresses = [m["v4"] or m["v6"] for m in ADDRESS.finditer(call["rest"])]
        outside = [a for a in addresses if not _loopback(a)]
        ports = PORT.findall(call["rest"])
        if call["call"] == "connect":
            probes.discard(key)
            if not outside:
                continue
            if kind.startswith("UDP") and "53" not in ports:
                probes.add(key)
            else:
                found.append(line)
        elif call["call"] in SENDS and (outside or (key in probes and kind.startswith("UDP"))):
            found.append(line)
    return found


def test_the_trace_reading_finds_a_lookup_and_a_connection() -> None:
    """The check must be able to fail, or it proves nothing."""
    trace = "\n".join(
        [
            # A route probe: allowed.
            "7  connect(11<UDPv6:[1]>, {sa_family=AF_INET6, sin6_port=htons(443), "
            'inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr)}, 28) = 0',
            # chromedriver to Chromium on loopback: allowed.
            "7  connect(12<TCP:[2]>, {sa_family=AF_INET, sin_port=htons(9222), "
            'sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
            # A DNS query, and a connection outside: found.
            "8  connect(22<UDP:[0.0.0.0:5]>, {sa_family=AF_INET, sin_port=htons(53), "
            'sin_addr=inet_addr("10.255.255.53")}, 16) = 0',
            "8  connect(23<TCP:[3]>, {sa_family=AF_INET, sin_port=htons(443), "
            'sin_addr=inet_addr("142.250.1.1")}, 16) = -1 ENETUNREACH',
            # Something sent on a probed socket: found.
            "9  connect(11<UDPv6:[4]>, {sa_family=AF_INET6, sin6_port=htons(443), "
            'inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr)}, 28) = 0',
            '9  sendto(11<UDPv6:[4]>, ""..., 30, 0, NULL, 0) = 30',
        ]
    )
    assert [line.split()[0] + line.split("(")[1][:3] for line in outside_traffic(trace)] == [
        "822<",
        "823<",
        "911<",
    ]
