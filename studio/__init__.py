"""The web app's logic, kept apart from its layout (app.py): which models exist, and the
validated actions a person or an API client can run on them."""
