"""The files in deploy/ agree with each other and with weizhi's settings.

deploy/smoke.py starts them for real (CI runs it); these catch a drift in a second.
"""

import os
import re
import shlex
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from weizhi.notes.models import MAX_IMAGES as NOTE_IMAGES
from weizhi.readaloud import conf as readaloud
from weizhi.surveys.views import IMAGE_MAX_BYTES as SURVEY_IMAGE
from weizhi.voices.submissions import MAX_IMAGES as SUBMISSION_IMAGES

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
WEIZHI = DEPLOY.parent / "weizhi"
UNITS = sorted(DEPLOY.glob("weizhi-*.service"))


def env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "weizhi.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def unit_lines(unit: Path, key: str) -> list[str]:
    return [
        line.split("=", 1)[1]
        for line in unit.read_text().splitlines()
        if line.startswith(key + "=")
    ]


def megabytes(size: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([km]?)", size).groups()
    return int(number) * {"k": 1024, "m": 1024 * 1024, "": 1}[unit]


def test_the_env_example_sets_only_variables_weizhi_reads():
    source = "\n".join(path.read_text() for path in WEIZHI.rglob("*.py"))
    unknown = [name for name in env_example() if f'"{name}"' not in source]
    assert not unknown, f"weizhi.env.example sets variables nothing reads: {unknown}"


def test_every_variable_a_unit_uses_is_set_in_the_env_file_or_the_unit():
    example = env_example()
    for unit in UNITS:
        defaults = {
            item.partition("=")[0]
            for line in unit_lines(unit, "Environment")
            for item in shlex.split(line)
        }
        for command in unit_lines(unit, "ExecStart"):
            used = set(re.findall(r"\$\{?(\w+)\}?", command))
            assert used <= set(example) | defaults, (
                f"{unit.name} uses {used - set(example) - defaults}"
            )


def test_every_unit_reads_the_env_file_and_may_write_where_weizhi_writes():
    example = env_example()
    for unit in UNITS:
        assert unit_lines(unit, "EnvironmentFile") == ["/etc/weizhi/weizhi.env"], unit.name
        writable = " ".join(unit_lines(unit, "ReadWritePaths")).split()
        for name in ("WEIZHI_VAR_DIR", "MEDIA_ROOT"):
            assert any(Path(example[name]).is_relative_to(path) for path in writable), (
                unit.name,
                name,
            )


def test_nginx_serves_static_and_media_from_where_the_env_file_puts_them():
    example = env_example()
    nginx = (DEPLOY / "nginx.conf").read_text()
    var = Path(example["WEIZHI_VAR_DIR"])
    # `root` + the location's path: STATIC_ROOT is $WEIZHI_VAR_DIR/static.
    for location, directory in (("static", var / "static"), ("media", Path(example["MEDIA_ROOT"]))):
        block = re.search(rf"location /{location}/ \{{\s*root (\S+);", nginx)
        assert block and Path(block.group(1)) / location == directory, location
    tmpfiles = (DEPLOY / "tmpfiles.d" / "weizhi.conf").read_text()
    for directory in (var, var / "static", Path(example["MEDIA_ROOT"])):
        line = rf"^d\s+{re.escape(str(directory))}\s+0\d{{3}}\s+weizhi\s+weizhi\s"
        assert re.search(line, tmpfiles, re.MULTILINE), f"tmpfiles.d makes no {directory}"


def test_nginx_lets_every_upload_the_admin_accepts_reach_weizhi():
    nginx = (DEPLOY / "nginx.conf").read_text()
    admin = re.search(r"location /admin/ \{[^}]*client_max_body_size (\w+);", nginx)
    largest = max(
        settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE,
        settings.WAGTAILDOCS_MAX_UPLOAD_SIZE,
        settings.IMPORT_MAX_BYTES,
    )
    # Room for the multipart envelope and the form's other fields.
    assert admin and megabytes(admin.group(1)) >= largest + 1024 * 1024


def nginx_location(nginx: str, path: str) -> str:
    """The body of the server-level location nginx picks for ``path`` (exact, then the
    first regular expression that matches, then the longest prefix; no ``^~`` here)."""
    server = nginx[nginx.index("listen 443") :]
    block = re.compile(r"^    location (?:(=|~) )?(\S+) \{\n(.*?)^    \}", re.M | re.S)
    blocks = [found.groups() for found in block.finditer(server)]
    exact = [body for kind, where, body in blocks if kind == "=" and where == path]
    regex = [body for kind, where, body in blocks if kind == "~" and re.search(where, path)]
    prefix = sorted(
        ((len(where), body) for kind, where, body in blocks if not kind and path.startswith(where)),
        reverse=True,
    )
    return (exact or regex or [body for _, body in prefix])[0]


def nginx_value(nginx: str, path: str, directive: str) -> str:
    """The directive as it applies to ``path``: its location's own, else the server's."""
    own = re.search(rf"^\s*{directive} (\w+);", nginx_location(nginx, path), re.M)
    server = re.search(rf"^    {directive} (\w+);", nginx[nginx.index("listen 443") :], re.M)
    return (own or server).group(1)


def seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([sm]?)", value).groups()
    return int(number) * (60 if unit == "m" else 1)


def test_nginx_lets_every_upload_a_member_page_accepts_reach_weizhi():
    nginx = (DEPLOY / "nginx.conf").read_text()
    image = settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE
    largest = {
        reverse("readaloud:read", args=[12]): readaloud.max_bytes(),
        reverse("notes:submit"): NOTE_IMAGES * image,
        reverse("voices:submit"): SUBMISSION_IMAGES * image,
        reverse("surveys:answer", args=[3]): SURVEY_IMAGE,
    }
    for path, limit in largest.items():
        allowed = megabytes(nginx_value(nginx, path, "client_max_body_size"))
        # Room for the multipart envelope and the form's other fields, so weizhi answers a file
        # over its limit with its own message; nginx's own 413 only well above it.
        assert allowed >= limit + 512 * 1024, (path, allowed, limit)
    assert megabytes(nginx_value(nginx, "/wechat/callback/", "client_max_body_size")) <= 1024**2


def test_nginx_waits_for_the_recogniser_on_a_members_recording():
    nginx = (DEPLOY / "nginx.conf").read_text()
    path = reverse("readaloud:read", args=[12])
    # The recogniser runs in the request, after a transcode of up to 120 s.
    waits = seconds(nginx_value(nginx, path, "proxy_read_timeout"))
    assert waits >= readaloud.recogniser_timeout() + 120, waits


def test_nginx_passes_its_request_id_and_logs_it():
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "proxy_set_header X-Request-ID $request_id;" in nginx
    log_format = re.search(r"log_format weizhi ([^;]+);", nginx).group(1)
    assert "$request_id" in log_format
    assert all(" weizhi;" in line for line in re.findall(r"access_log [^\n]+", nginx))


def test_nginx_adds_no_second_hsts_header():
    # weizhi sends Strict-Transport-Security itself (HSTS_SECONDS); deploy/smoke.py counts
    # the headers of a real answer through nginx.
    assert "add_header Strict-Transport-Security" not in (DEPLOY / "nginx.conf").read_text()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze here")
def test_systemd_finds_nothing_wrong_with_the_units(tmp_path):
    names = []
    for unit in [*UNITS, DEPLOY / "weizhi.target"]:
        name = unit.name.replace("@.", "@1.")  # a template is checked as an instance of it
        shutil.copy(unit, tmp_path / name)
        names.append(str(tmp_path / name))
    result = subprocess.run(
        [shutil.which("systemd-analyze"), "verify", "--man=no", *names],
        capture_output=True,
        text=True,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"},
    )
    # The code is not installed on this machine, which is all systemd may say.
    complaints = [
        line
        for line in result.stderr.splitlines()
        if not re.search(r"Command /srv/weizhi/app/\.venv/bin/\w+ is not executable", line)
    ]
    assert not complaints


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("systemd-tmpfiles"), reason="needs root and systemd"
)
def test_sysusers_and_tmpfiles_make_the_user_and_the_directories(tmp_path):
    (tmp_path / "etc").mkdir()
    for name in ("passwd", "group"):
        shutil.copy(f"/etc/{name}", tmp_path / "etc" / name)
    root = f"--root={tmp_path}"
    subprocess.run(
        [shutil.which("systemd-sysusers"), root, DEPLOY / "sysusers.d/weizhi.conf"], check=True
    )
    user = next(
        line.split(":")
        for line in (tmp_path / "etc/passwd").read_text().splitlines()
        if line.startswith("weizhi:")
    )
    assert user[5:] == ["/var/lib/weizhi", "/usr/sbin/nologin"]
    subprocess.run(
        [shutil.which("systemd-tmpfiles"), root, "--create", DEPLOY / "tmpfiles.d/weizhi.conf"],
        check=True,
    )
    expected = {
        "var/lib/weizhi": (0o711, user[2]),
        "var/lib/weizhi/static": (0o755, user[2]),
        "var/lib/weizhi/media": (0o755, user[2]),
        "var/backups/weizhi": (0o700, user[2]),
        "etc/weizhi": (0o750, "0"),
    }
    for path, (mode, uid) in expected.items():
        made = (tmp_path / path).stat()
        assert (stat.S_IMODE(made.st_mode), str(made.st_uid)) == (mode, uid), path
