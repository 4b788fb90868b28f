"""Releases: every number about people that leaves the platform (to an actor, the town or the
public) goes out through here."""
