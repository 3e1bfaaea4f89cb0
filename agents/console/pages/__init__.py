"""The console's HTML pages, one module per subject; each exports its `ROUTES`."""
