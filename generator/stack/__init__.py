"""The run-time stack: its components (one table shared by docker-compose.yml and `gen dev`),
the translation of generated/ from the stack's host names to 127.0.0.1, and the processes."""
