"""Answering an alert where it arrives: Telegram (a bot, long polling by default) and WhatsApp
gateways (Fonnte, Wablas, WAHA). A button press or a reply moves the case exactly as the console does
(agents/console/actions.py), as the Sigap user the Telegram id or phone number belongs to."""
