"""The staff side: a forum topic per case in the staff group, claim, relay, release, close."""
