"""A local recogniser as READALOUD_RECOGNISER_COMMAND runs one, the way whisper.cpp or
vosk-transcriber are run: ``python fake_recogniser_command.py MODE {file}``. It opens the
recording at the path it was given and refuses (exit 2) anything that is not a recording,
as a real model does; then, by MODE:

- ``say:TEXT``: prints TEXT, with the trailing newline real tools print;
- ``fail``: writes an error to standard error and exits 3;
- ``hang``: sleeps far longer than any test's timeout;
- ``silent``: prints nothing (nothing was recognised).
"""

import sys
import time
from pathlib import Path

MAGIC = (b"RIFF", b"OggS", b"\x1a\x45\xdf\xa3", b"#!AMR", b"ID3")


def main() -> int:
    mode, path = sys.argv[1], Path(sys.argv[2])
    head = path.read_bytes()[:4] if path.is_file() else b""
    if not head.startswith(MAGIC) and head[:1] != b"\xff":
        print(f"error: {path} is not audio", file=sys.stderr)
        return 2
    if mode.startswith("say:"):
        print(mode[4:])
    elif mode == "fail":
        print("error: model file ggml-base.bin not found", file=sys.stderr)
        return 3
    elif mode == "hang":
        time.sleep(600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
