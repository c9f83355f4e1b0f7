"""The music domain: tracks, the queue, loop modes, time parsing. Plain Python, no Discord."""
