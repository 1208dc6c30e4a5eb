"""Slack adapter on slack-bolt's AsyncApp: DMs with contacts, /candor for staff, App Home."""
