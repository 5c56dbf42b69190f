"""Rasa SDK custom actions of the triage assistant.

Run by `python -m rasa_sdk --actions actions`.
"""
