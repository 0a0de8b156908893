"""One module per console page: ``NAME``, ``PATH``, ``TITLE`` (catalog key), ``layout(console, lang)`` and
``register(app, console)`` for the page's callbacks, kept next to its layout."""
