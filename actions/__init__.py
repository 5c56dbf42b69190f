"""Rasa SDK custom actions of the triage assistant.

Run by `python -m rasa_sdk --actions actions`. The SDK imports this package first: each
action call is then answered in the language the gateway chose for the patient
(actions/language.py), however the action server is started.
"""

from actions.language import answer_in_patients_language

answer_in_patients_language()
