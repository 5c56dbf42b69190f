"""What a patient's message means, decided without the statistical model where content allows.

`catalog` finds the procedures of `content/procedures.yml` in a message (typos, spacing,
plurals, Hinglish and Devanagari forms); `red_flags` finds emergencies with the lexicon of
`content/red_flags.yml`; `cues` reads question types from `content/cues.yml`;
`components` puts them into Rasa's NLU pipeline (config.yml), after DIET.
"""
