"""pmae's own features, written as plugins and registered through the same hooks as others."""
