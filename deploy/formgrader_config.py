"""Jupyter server settings of a course's formgrader service (the image disables these for students).

Used by deploy/z2jh/services.yaml through JUPYTER_CONFIG_PATH=/srv/course-config.
"""

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (provided by Jupyter's config loader)
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": True,
    "nbgrader.server_extensions.course_list": True,
}
