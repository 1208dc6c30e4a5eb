"""Telegram adapter on aiogram 3: routers for clients, staff and alerts, and a Messenger."""
