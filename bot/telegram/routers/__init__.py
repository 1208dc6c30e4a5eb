"""aiogram routers, one per kind of person: clients, staff, alert owners."""
