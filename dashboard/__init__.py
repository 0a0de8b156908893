"""The Plotly Dash building management console."""
