"""Request-level helpers of the public pages: flow state, limits, client address,
proof of work, calendar file."""
