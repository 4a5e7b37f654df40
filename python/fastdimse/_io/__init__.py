"""I/O drivers: the threads and asyncio tasks that move bytes and run handlers."""
