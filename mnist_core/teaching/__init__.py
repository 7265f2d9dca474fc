"""Lessons, the classroom, and the code export."""
