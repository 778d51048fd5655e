"""`poll_bench --secure`: every target is measured over HTTPS, OpenLEADR included; plain-HTTP targets are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.poll_bench import _arguments, build_targets
from bench.vtn_stack import secure_settings


def test_secure_targets_are_https_and_plain_ones_are_refused(tmp_path: Path) -> None:
    arguments = _arguments(["--secure", "--openleadr-port", "8470", "--vtn-url", "ours=https://127.0.0.1:8480/x"])
    targets = build_targets(arguments, tmp_path, [])
    assert [t.url for t in targets] == ["https://127.0.0.1:8470/OpenADR2/Simple/2.0b", "https://127.0.0.1:8480/x"]
    with pytest.raises(SystemExit):
        build_targets(_arguments(["--secure", "--vtn-url", "http://127.0.0.1:8480/x"]), tmp_path, [])
    with pytest.raises(SystemExit):
        _arguments(["--secure", "--calibration", "raw"])


def test_the_secure_stack_uses_the_certificates_openleadr_gets(tmp_path: Path) -> None:
    settings = secure_settings(tmp_path)
    assert settings["VTN_HTTP_CERT"] == settings["VTN_CERT"] == str(tmp_path / "vtn-rsa.crt")
    assert settings["VTN_HTTP_CA_FILE"] == str(tmp_path / "ca.crt")
    assert settings["VTN_REQUIRE_MESSAGE_SIGNATURES"] == "true"
    assert all(Path(settings[name]).is_file() for name in ("VTN_HTTP_CERT", "VTN_HTTP_KEY", "VTN_HTTP_CA_FILE"))
