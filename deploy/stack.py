"""The scaled stack of deploy/ on one machine, for deploy/smoke.py: PostgreSQL and Redis as
they run, everything else started from the files a deployment installs (the SQL file's role,
the env file, weizhi-manage, each unit's ExecStart, deploy/nginx.conf), and stopped again.
"""

import argparse
import contextlib
import http.client
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"

HOST = "127.0.0.1"
PG_ADMIN = ["psql", "-X", "-q", "-h", HOST, "-U", "postgres", "-d", "postgres"]
# Variables of the caller's environment that would change what the stack runs.
STRIPPED = ("DATABASE_URL", "REDIS_URL", "TASKS_BACKEND", "DEBUG", "DJANGO_SETTINGS_MODULE")


class SmokeError(Exception):
    pass


def check(condition: object, what: str) -> None:
    if not condition:
        raise SmokeError(what)


def run(cmd: list[str], **kwargs) -> str:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)
    if result.returncode:
        raise SmokeError(
            f"{shlex.join(cmd)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result.stdout


def wait_for(what: str, probe, timeout: float = 60, every: float = 0.5):
    """Call probe until it returns something true; that value, or SmokeError after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    raise SmokeError(f"{what}: not after {timeout:.0f} s (last: {last!r})")


def free_ports(base: int, count: int) -> list[int]:
    """count ports free now: from base upwards, or any the system picks when base is 0."""
    ports: list[int] = []
    candidate = base
    while len(ports) < count:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, candidate if base else 0))
            except OSError:
                candidate += 1
                continue
            ports.append(sock.getsockname()[1])
        candidate += 1
    return ports


def env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def unit_command(unit: Path, instance: str, env: dict[str, str]) -> list[str]:
    """The unit's ExecStart as systemd runs it: %i, then ${VAR} (one word) and $VAR (split)."""
    text = unit.read_text()
    defaults: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("Environment="):
            for item in shlex.split(line.removeprefix("Environment=")):
                name, _, value = item.partition("=")
                defaults[name] = value
    values = {**defaults, **env}
    line = next(x for x in text.splitlines() if x.startswith("ExecStart="))
    words = []
    for word in shlex.split(line.removeprefix("ExecStart=").replace("%i", instance)):
        whole = re.fullmatch(r"\$\{(\w+)\}|\$(\w+)", word)
        if whole:
            name = whole.group(1) or whole.group(2)
            check(name in values, f"{unit.name}: ExecStart uses ${name}, set nowhere")
            words += [values[name]] if whole.group(1) else values[name].split()
        else:
            words.append(re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], word))
    return [w.replace("/srv/weizhi/app", str(ROOT)) for w in words]


class Stack:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        # Both are emptied: never someone's real database, nor Redis's default one.
        self.db = args.database
        check(
            self.db.endswith("smoke"), "--database must end in 'smoke': it is dropped and made anew"
        )
        redis_db = urllib.parse.urlsplit(args.redis_url).path.strip("/") or "0"
        check(redis_db != "0", "--redis-url must name a Redis database other than 0: it is emptied")
        self.made_database = False
        self.tmp = Path(tempfile.mkdtemp(prefix="weizhi-smoke-"))
        self.tmp.chmod(0o711)  # nginx's workers (www-data) pass through to the static files
        self.var = self.tmp / "var"
        self.logs = self.tmp / "logs"
        self.logs.mkdir()
        self.procs: dict[str, subprocess.Popen] = {}
        ports = free_ports(args.port_base, 4)
        self.web_ports, self.http_port, self.https_port = ports[:2], ports[2], ports[3]
        self.base = f"https://{HOST}:{self.https_port}"
        self.admin_password = secrets.token_urlsafe(16)
        self.env: dict[str, str] = {}
        self.tls: ssl.SSLContext | None = None
        self.nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")

    # --- setting up

    def make_environment(self) -> None:
        example = env_file(DEPLOY / "weizhi.env.example")
        url = f"postgres://{self.db}:{self.db}@{HOST}:5432/{self.db}"
        ours = {
            "DATABASE_URL": url,
            "REDIS_URL": self.args.redis_url,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "CSRF_TRUSTED_ORIGINS": self.base,
            "SITE_URL": self.base,
            "WEIZHI_VAR_DIR": str(self.var),
            "MEDIA_ROOT": str(self.var / "media"),
            "WEB_WORKERS": "1",
            "CACHE_PREFIX": f"smoke{os.getpid()}",
            # The workers reach the simulated account's fake API through nginx, over HTTPS
            # with this run's own certificate authority (as an intranet CA would be set).
            "SSL_CERT_FILE": str(self.tmp / "tls" / "ca.pem"),
            "ADMIN_USERNAME": "smoke-admin",
            "ADMIN_PASSWORD": self.admin_password,
            "ACCESS_LOG_LEVEL": "WARNING" if self.args.load else "INFO",
        }
        missing = sorted(set(ours) & {"DATABASE_URL", "SITE_URL", "SECRET_KEY"} - set(example))
        check(not missing, f"weizhi.env.example lacks {missing}")
        # The env file as a deployment has it; the units get its values (self.env), as from
        # systemd, and manage.py runs through deploy/weizhi-manage, which reads it with sh.
        self.env_file = self.tmp / "weizhi.env"
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in {**example, **ours}.items()))
        self.base_env = {k: v for k, v in os.environ.items() if k not in STRIPPED}
        self.env = {**self.base_env, **example, **ours}
        self.var.mkdir(mode=0o711)
        for sub in ("static", "media"):
            (self.var / sub).mkdir(mode=0o755)

    def make_certificate(self) -> None:
        tls = self.tmp / "tls"
        tls.mkdir()
        ca, key = tls / "ca.pem", tls / "ca.key"
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=weizhi smoke CA", "-keyout", str(key), "-out", str(ca),
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])  # fmt: skip
        run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={HOST}",
             "-keyout", str(tls / "privkey.pem"), "-out", str(tls / "server.csr")])  # fmt: skip
        (tls / "ext.cnf").write_text(
            f"subjectAltName=IP:{HOST}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
        )
        run(["openssl", "x509", "-req", "-in", str(tls / "server.csr"), "-CA", str(ca),
             "-CAkey", str(key), "-CAcreateserial", "-days", "1",
             "-out", str(tls / "fullchain.pem"), "-extfile", str(tls / "ext.cnf")])  # fmt: skip
        for path in tls.iterdir():
            path.chmod(0o644)
        tls.chmod(0o755)
        self.tls = ssl.create_default_context(cafile=str(ca))

    def make_database(self) -> None:
        self.drop_database()
        self.made_database = True
        run([*PG_ADMIN, "-v", f"role={self.db}", "-v", f"database={self.db}",
             "-v", f"password={self.db}", "-f", str(DEPLOY / "postgresql.sql")])  # fmt: skip
        self.redis("FLUSHDB")

    def drop_database(self) -> None:
        run([*PG_ADMIN, "-c", f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)'])
        run([*PG_ADMIN, "-c", f'DROP ROLE IF EXISTS "{self.db}"'])

    def redis(self, *command: str) -> str:
        return run(["redis-cli", "-u", self.args.redis_url, *command]).strip()

    def manage(self, *args: str) -> str:
        env = {
            **self.base_env,
            "WEIZHI_APP": str(ROOT),
            "WEIZHI_ENV_FILE": str(self.env_file),
            "WEIZHI_USER": pwd.getpwuid(os.geteuid()).pw_name,
        }
        return run([str(DEPLOY / "weizhi-manage"), *args], env=env)

    def set_up_site(self) -> None:
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        for command in (
            "setup_site",
            "load_demo",
            "load_demo_audience",
            "load_demo_wechat",
            "ensure_admin",
        ):
            self.manage(command)

    # --- processes

    def start(self, name: str, unit: str, instance: str = "") -> subprocess.Popen:
        cmd = unit_command(DEPLOY / unit, instance, self.env)
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
        log.close()
        self.procs[name] = proc
        return proc

    def start_services(self) -> None:
        for i, port in enumerate(self.web_ports, start=1):
            self.start(f"web{i}", "weizhi-web@.service", str(port))
        for i in (1, 2):
            self.start(f"worker{i}", "weizhi-worker@.service", str(i))
        self.start("scheduler", "weizhi-scheduler.service")
        for i, port in enumerate(self.web_ports, start=1):
            wait_for(f"web{i} on port {port}", lambda port=port: self.web_answers(port), 90)

    def web_answers(self, port: int) -> bool:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise SmokeError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return True
        except OSError:
            return False

    def health_details(self) -> str:
        """/healthz as a monitor on this machine sees it: from a web process, not through nginx."""
        conn = http.client.HTTPConnection(HOST, self.web_ports[0], timeout=10)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        conn.close()
        return f"{response.status} {body}"

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """The unit's whole process group, as systemd's control group would be."""
        proc = self.procs[name]
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
        proc.wait(30)

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        if proc.poll() is None:
            # KillSignal=SIGINT and KillMode=mixed in every weizhi unit: the signal to the main
            # process, which stops its own children; nginx stops gracefully at SIGQUIT.
            os.kill(proc.pid, signal.SIGQUIT if name == "nginx" else signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                print(f"  {name} ignored its stop signal for 30 s; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
        proc.wait(10)

    def tail(self, name: str, lines: int = 25) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # --- nginx

    def nginx_site(self) -> str:
        """deploy/nginx.conf with this run's ports, paths and certificate, nothing else."""
        site = (DEPLOY / "nginx.conf").read_text()
        logs = self.tmp / "nginx"
        tls = self.tmp / "tls"
        upstream = "".join(f"    server {HOST}:{port};\n" for port in self.web_ports)
        edits = [
            (r"(?m)^    server 127\.0\.0\.1:8001;\n    server 127\.0\.0\.1:8002;\n", upstream),
            (r"(?m)^    listen 80;\n    listen \[::\]:80;", f"    listen {HOST}:{self.http_port};"),
            (r"(?m)^    listen 443 ssl http2;\n    listen \[::\]:443 ssl http2;",
             f"    listen {HOST}:{self.https_port} ssl http2;"),
            (r"/etc/ssl/weizhi/", f"{tls}/"),
            (r"/var/log/nginx/", f"{logs}/"),
            (r"root /var/lib/weizhi;", f"root {self.var};"),
        ]  # fmt: skip
        for pattern, replacement in edits:
            site, count = re.subn(pattern, lambda _m, r=replacement: r, site)
            check(count, f"deploy/nginx.conf no longer has {pattern!r}; update deploy/smoke.py")
        return site

    def start_nginx(self) -> None:
        check(self.nginx, "nginx is not installed (apt-get install nginx)")
        prefix = self.tmp / "nginx"
        prefix.mkdir()
        (prefix / "weizhi.conf").write_text(self.nginx_site())
        user = "user www-data;\n" if os.geteuid() == 0 else ""
        temp = "".join(
            f"    {kind}_temp_path {prefix / kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (prefix / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
            f"error_log {prefix / 'error.log'} warn;\nevents {{ worker_connections 512; }}\n"
            f"http {{\n    include /etc/nginx/mime.types;\n"
            "    default_type application/octet-stream;\n"
            f"    sendfile on;\n{temp}    include {prefix / 'weizhi.conf'};\n}}\n"
        )
        base = [self.nginx, "-p", str(prefix), "-e", str(prefix / "error.log"),
                "-c", str(prefix / "nginx.conf")]  # fmt: skip
        run([*base, "-t", "-q"])
        log = (self.logs / "nginx.log").open("ab")
        self.procs["nginx"] = subprocess.Popen(
            [*base, "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        wait_for("nginx", self.nginx_answers, 30)

    def nginx_answers(self) -> bool:
        if self.procs["nginx"].poll() is not None:
            raise SmokeError(f"nginx exited:\n{self.tail('nginx')}")
        try:
            return self.get("/healthz", ok=None)[0] in (200, 503)
        except OSError:
            return False

    def access_log(self) -> list[str]:
        path = self.tmp / "nginx" / "weizhi.access.log"
        return path.read_text(errors="replace").splitlines() if path.exists() else []

    # --- HTTP through nginx

    def connection(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(HOST, self.https_port, context=self.tls, timeout=30)

    def get(self, path: str, ok: int | None = 200, headers: dict | None = None):
        conn = self.connection()
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        if ok is not None:
            check(response.status == ok, f"GET {path}: {response.status}, expected {ok}")
        return response.status, response, body

    def sql(self, query: str) -> str:
        return run(["psql", "-X", "-q", "-tA", self.env["DATABASE_URL"], "-c", query]).strip()

    def tear_down(self) -> None:
        for name in ["nginx", *[n for n in self.procs if n != "nginx"]]:
            if name in self.procs:
                self.stop(name)
        try:
            if self.made_database:
                self.drop_database()
                self.redis("FLUSHDB")
        except SmokeError as error:
            print(f"clean-up: {error}")
        if self.args.keep:
            print(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
