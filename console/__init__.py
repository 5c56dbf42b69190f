"""The coordinators' web console: cases, transcripts, consent evidence, reports, health."""
