"""The rule playground page (plain HTML, CSS and JavaScript), served by `service.api.http`."""
