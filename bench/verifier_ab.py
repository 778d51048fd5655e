"""This checkout's XML-signature verifier against another checkout's, per message, in one process.

    python -m bench.verifier_ab --baseline ../other-checkout [--messages 3000]

On a shared machine whole-benchmark runs drift by more than the difference being measured, so here the two
verifiers take turns on the same signed polls (the gateway's MessageSigner, OpenLEADR's shape; RSA-2048 and
ECDSA P-256 keys from devstack's development CA), alternating which goes first, and each message's time is
taken alone: the median per verifier is then robust to preemption. The baseline's gateway/security/signatures.py (gateway/signatures.py before it moved) is
loaded from its own path under another module name, with this checkout's other modules; the rest of a signed
poll's admission (signer = TLS peer, replay guard, venID binding) is the same code on both sides.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from lxml import etree
from openleadr.messaging import create_message

from bench.baseline import baseline_module
from devstack.certs import generate
from gateway.security.signatures import MessageSigner, SignatureVerifier, signature_of


def _baseline_verifier(checkout: Path) -> Any:
    return baseline_module(checkout, "gateway/security/signatures.py", "gateway/signatures.py").SignatureVerifier()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline", type=Path, required=True, help="the other checkout (its gateway/security/signatures.py)"
    )
    parser.add_argument("--messages", type=int, default=3000, help="signed polls per key (default 3000)")
    args = parser.parse_args()
    verifiers = {"baseline": _baseline_verifier(args.baseline), "this checkout": SignatureVerifier()}
    print("| key | baseline, ms | this checkout, ms | this / baseline |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as directory:
        certs = generate(Path(directory), ["ven1"])
        for label, name in (("RSA-2048", "ven1"), ("ECDSA P-256", "vtn-ecc")):
            signer = MessageSigner(certs[name].cert_path.read_bytes(), certs[name].key_path.read_bytes())
            poll = create_message("oadrPoll", ven_id="v1").encode()
            roots = [etree.fromstring(signer.sign(poll)) for _ in range(args.messages)]
            times: dict[str, list[float]] = {who: [] for who in verifiers}
            for index, root in enumerate(roots):
                signature = signature_of(root)
                order = list(verifiers.items()) if index % 2 else list(reversed(verifiers.items()))
                for who, verifier in order:
                    started = time.perf_counter()
                    verifier.verify(root, signature)
                    times[who].append(time.perf_counter() - started)
            base, ours = (statistics.median(times[who]) * 1000 for who in verifiers)
            print(f"| {label} | {base:.3f} | {ours:.3f} | {ours / base:.2f} |")


if __name__ == "__main__":
    main()
