"""Plotly figures and pictures the pages draw."""
