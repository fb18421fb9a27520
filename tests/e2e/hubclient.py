"""A person using the hub over HTTP: the login form, the hub API with the session's cookie and XSRF
token, their server's REST API (contents, kernels) and a kernel's websocket, all through the proxy."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import requests
import websocket


class HubUser:
    """One user's browser-like session on the hub at ``url``."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url.rstrip("/")
        self.name = name
        self.session = requests.Session()
        self.token: str | None = None
        self._kernel: tuple[str, websocket.WebSocket] | None = None
        self._session = uuid.uuid4().hex

    # -- the hub -------------------------------------------------------------------------------

    def login(self, password: str) -> requests.Response:
        """Submit the login form; the final response after redirects."""
        form = self.session.get(f"{self.url}/hub/login", timeout=30)
        form.raise_for_status()
        xsrf = self.session.cookies.get("_xsrf", path="/hub/") or self.session.cookies.get("_xsrf")
        return self.session.post(
            f"{self.url}/hub/login?next=",
            data={"username": self.name, "password": password, "_xsrf": xsrf},
            timeout=60,
        )

    def _xsrf(self) -> dict[str, str]:
        token = self.session.cookies.get("_xsrf", path="/hub/") or self.session.cookies.get("_xsrf")
        return {"X-XSRFToken": token} if token else {}

    def hub_api(self, method: str, path: str, body: object | None = None) -> requests.Response:
        """Call the hub's API as this user's browser does (cookie + XSRF header)."""
        return self.session.request(
            method, f"{self.url}/hub/api{path}", json=body, headers=self._xsrf(), timeout=60
        )

    def start_server(self, timeout: float = 120.0) -> None:
        """Spawn this user's server and wait until the hub says it is ready; get an API token."""
        answer = self.hub_api("POST", f"/users/{self.name}/server")
        assert answer.status_code in (201, 202, 400), answer.text  # 400: already running
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.hub_api("GET", f"/users/{self.name}").json()
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"{self.name}'s server did not start within {timeout:.0f} s")
        if self.token is None:
            answer = self.hub_api("POST", f"/users/{self.name}/tokens", {"note": "e2e", "expires_in": 900})
            assert answer.status_code == 201, answer.text
            self.token = answer.json()["token"]

    # -- the single-user server ----------------------------------------------------------------

    def server_api(self, method: str, path: str, body: object | None = None) -> requests.Response:
        """Call ``/user/<name>/api<path>`` on this user's server with the token."""
        return requests.request(
            method,
            f"{self.url}/user/{self.name}/api{path}",
            json=body,
            headers={"Authorization": f"token {self.token}"},
            timeout=60,
        )

    def read_notebook(self, path: str) -> dict[str, Any]:
        answer = self.server_api("GET", f"/contents/{path}?content=1&type=notebook")
        assert answer.status_code == 200, answer.text
        content: dict[str, Any] = answer.json()["content"]
        return content

    def write_notebook(self, path: str, notebook: dict[str, Any]) -> None:
        answer = self.server_api("PUT", f"/contents/{path}", {"type": "notebook", "content": notebook})
        assert answer.status_code in (200, 201), answer.text

    def read_file(self, path: str) -> str:
        answer = self.server_api("GET", f"/contents/{path}?content=1&type=file&format=text")
        assert answer.status_code == 200, answer.text
        text: str = answer.json()["content"]
        return text

    def run(self, code: str, timeout: float = 120.0) -> str:
        """Run ``code`` in this user's kernel (started on first use); its printed output.

        AssertionError with the traceback when the code raises.
        """
        if self._kernel is None:
            answer = self.server_api("POST", "/kernels", {"name": "python3"})
            assert answer.status_code == 201, answer.text
            kernel = answer.json()["id"]
            ws_url = self.url.replace("http://", "ws://") + f"/user/{self.name}/api/kernels/{kernel}/channels"
            conn = websocket.create_connection(
                ws_url, header=[f"Authorization: token {self.token}"], timeout=timeout
            )
            self._kernel = (kernel, conn)
        conn = self._kernel[1]
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "username": self.name,
            "session": self._session,
            "msg_type": "execute_request",
            "version": "5.3",
        }
        content = {"code": code, "silent": False, "store_history": False}
        message = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
        conn.send(json.dumps({**message, "channel": "shell", "buffers": []}))
        output: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = json.loads(conn.recv())
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = reply["msg_type"], reply["content"]
            if kind == "stream":
                output.append(content["text"])
            elif kind == "error":
                raise AssertionError("\n".join([*output, *content["traceback"]]))
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(output)
        raise AssertionError(f"no answer from the kernel within {timeout:.0f} s: {''.join(output)}")

    def close(self) -> None:
        """Shut this user's kernel down."""
        if self._kernel is not None:
            kernel, conn = self._kernel
            self._kernel = None
            conn.close()
            self.server_api("DELETE", f"/kernels/{kernel}")
