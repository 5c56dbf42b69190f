"""nginx as the reverse proxy (each chat on one worker) in front of the workers, on loopback."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (str(p) for p in (Path("/usr/sbin/nginx"),) if p.exists()), None
    )


def nginx_config(workdir: Path, listen_port: int, upstream_ports: list[int]) -> str:
    """bench/scaleout/nginx.conf with this run's ports and a private pid, log and temp dir."""
    text = TEMPLATE.read_text()
    servers = "\n".join(f"        server 127.0.0.1:{port};" for port in upstream_ports)
    text = text.replace(
        "        server 127.0.0.1:5000;\n        server 127.0.0.1:5001;\n", servers + "\n"
    )
    text = text.replace("listen 127.0.0.1:8088;", f"listen 127.0.0.1:{listen_port};")
    text = text.replace("/tmp/bench-nginx.pid", str(workdir / "nginx.pid"))
    text = text.replace("/tmp/bench-nginx-error.log", str(workdir / "nginx-error.log"))
    temp = workdir / "nginx-temp"
    temp.mkdir(exist_ok=True)
    return text.replace(
        "http {\n",
        f"http {{\n    client_body_temp_path {temp}/body;\n    proxy_temp_path {temp}/proxy;\n",
        1,
    )


class Proxy:
    def __init__(self, workdir: Path, listen_port: int, upstream_ports: list[int]) -> None:
        self.config = workdir / "nginx.conf"
        self.config.write_text(nginx_config(workdir, listen_port, upstream_ports))
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (apt-get install -y nginx)")
        self._process = subprocess.Popen(
            [binary, "-c", str(self.config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)
