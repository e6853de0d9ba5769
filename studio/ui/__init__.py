"""The Gradio page: `page.py` assembles it; each tab is one module that builds its components
(`build`) and connects their events (`wire`); `serving.py` runs actions for the page and the API."""
