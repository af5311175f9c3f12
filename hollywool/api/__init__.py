"""HTTP routes: thin routers, one per area. Each validates, calls one service, shapes the answer."""
