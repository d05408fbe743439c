"""Code shared by every marketplace service. It never imports a service."""
