"""``cw``: the operator's command line on one machine.

cw token --role clerk --centre dinghai --sub clerk-001
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cw_shared.auth import LocalIssuer, Role
from cw_shared.settings import ServiceSettings


def _issuer() -> LocalIssuer:
    settings = ServiceSettings()
    return LocalIssuer(
        settings.keys_dir, issuer=settings.auth_issuer, audience=settings.auth_audience
    )


def _token(args: argparse.Namespace) -> int:
    role = Role(args.role)
    if role in (Role.CLERK, Role.EXPERT) and not args.centre:
        print(f"cw token: a {role} needs --centre", file=sys.stderr)
        return 2
    if role is Role.AGENT and not args.station:
        print("cw token: an agent needs --station", file=sys.stderr)
        return 2
    token = _issuer().mint(
        role=role,
        sub=args.sub or f"{role.value}-dev",
        ttl_seconds=args.ttl,
        centre=args.centre,
        station=args.station,
        scopes=args.scope,
    )
    print(token)
    return 0


def _jwks(_args: argparse.Namespace) -> int:
    import json

    print(json.dumps(_issuer().jwks(), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cw", description="Zhoujing Cloud Window tools")
    parser.add_argument(
        "--var-dir",
        type=Path,
        help="where the local issuer's key lives (default: $CW_VAR_DIR or var)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    token = commands.add_parser("token", help="print a bearer token from the local issuer")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--sub", help="the subject (person or account id)")
    token.add_argument("--centre", help="the service centre a clerk or expert works for")
    token.add_argument("--station", help="the island station an agent works at")
    token.add_argument("--scope", action="append", help="a scope of a service account (repeatable)")
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    token.set_defaults(run=_token)

    jwks = commands.add_parser("jwks", help="print the local issuer's public keys as a JWKS")
    jwks.set_defaults(run=_jwks)

    args = parser.parse_args(argv)
    if args.var_dir:
        os.environ["CW_VAR_DIR"] = str(args.var_dir)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
