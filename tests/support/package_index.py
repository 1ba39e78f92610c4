"""A private package index on a test network, standing in for a company's PyPI mirror.

The tests cannot depend on the internet, so the index holds only wheels made here: a tiny probe
package, and real packages re-wheeled from this test environment's installed files. It is a
PEP 503 folder served by Python's own http.server from the airflow image, over plain HTTP and over
HTTPS with a certificate from a throw-away CA (given to the cluster as AIRFLEET_CA_BUNDLE).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import importlib.metadata
import re
import subprocess
import zipfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HTTP_PORT, HTTPS_PORT = 8080, 8443

SERVE = f"""
import functools, http.server, ssl, sys, threading
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory="/srv/index")
plain = http.server.ThreadingHTTPServer(("", {HTTP_PORT}), handler)
secure = http.server.ThreadingHTTPServer(("", {HTTPS_PORT}), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain("/srv/tls/server.pem", "/srv/tls/server.key")
secure.socket = context.wrap_socket(secure.socket, server_side=True)
threading.Thread(target=plain.serve_forever, daemon=True).start()
print("serving", flush=True)
secure.serve_forever()
"""


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_wheel(folder: Path, name: str, version: str, files: dict[str, bytes]) -> Path:
    """A pure-Python wheel holding `files` (path in site-packages -> content)."""
    dist_info = f"{name.replace('-', '_')}-{version}.dist-info"
    files = {**files,
             f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
             f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: airfleet-tests\nRoot-Is-Purelib: true\n"
                                   b"Tag: py3-none-any\n"}
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    wheel = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(path, data)
        archive.writestr(f"{dist_info}/RECORD", record + f"{dist_info}/RECORD,,\n")
    return wheel


def wheel_from_installed(folder: Path, name: str) -> Path:
    """Re-wheel an installed pure-Python distribution from its files (its code, unchanged)."""
    dist = importlib.metadata.distribution(name)
    files = {str(f): f.read_binary() for f in dist.files or ()
             if not str(f).startswith("..") and "__pycache__" not in str(f) and ".dist-info/" not in str(f)}
    return write_wheel(folder, dist.metadata["Name"], dist.version, files)


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def write_index(root: Path, wheels: list[Path]) -> None:
    """root/simple/<project>/index.html links to root/packages/<wheel>#sha256=..., as PEP 503 asks."""
    projects: dict[str, list[Path]] = {}
    for wheel in wheels:
        projects.setdefault(_normalized(wheel.name.split("-")[0]), []).append(wheel)
    for project, files in projects.items():
        page = root / "simple" / project
        page.mkdir(parents=True, exist_ok=True)
        links = "".join(f'<a href="../../packages/{html.escape(w.name)}'
                        f'#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">{html.escape(w.name)}</a>\n'
                        for w in files)
        (page / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")


def _certificate(subject: str, key, issuer_name: x509.Name, issuer_key, ca: bool, hosts: list[str]) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        usage = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                              encipher_only=False, decipher_only=False)
        builder = builder.add_extension(usage, critical=True)
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def write_tls(folder: Path, hosts: list[str]) -> Path:
    """A throw-away CA and a server certificate for `hosts`; returns the CA's PEM file."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Airfleet test CA")])
    ca = _certificate("Airfleet test CA", ca_key, ca_name, ca_key, True, [])
    server = _certificate(hosts[0], server_key, ca_name, ca_key, False, hosts)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return folder / "ca.pem"


class PackageIndex:
    """The index's files under `root` (index/ and tls/), and its server container once started."""

    def __init__(self, root: Path, hostname: str) -> None:
        self.root, self.hostname, self.container = root, hostname, ""
        self.ca_bundle = write_tls(root / "tls", [hostname])
        self.build = root / "build"  # where tests make the wheels they publish
        self.build.mkdir(parents=True, exist_ok=True)

    @property
    def http_url(self) -> str:
        return f"http://{self.hostname}:{HTTP_PORT}/simple/"

    @property
    def https_url(self) -> str:
        return f"https://{self.hostname}:{HTTPS_PORT}/simple/"

    def publish(self, wheels: list[Path]) -> None:
        write_index(self.root / "index", wheels)
        packages = self.root / "index" / "packages"
        packages.mkdir(parents=True, exist_ok=True)
        for wheel in wheels:
            (packages / wheel.name).write_bytes(wheel.read_bytes())
        for path in [self.root, *self.root.rglob("*")]:  # the server runs as the image's user
            path.chmod(0o755 if path.is_dir() else 0o644)

    def start(self, image: str, network: str, name: str) -> None:
        self.container = subprocess.run(
            ["docker", "run", "-d", "--rm", "--name", name, "--network", network, "--network-alias", self.hostname,
             "-v", f"{self.root}:/srv:ro", "--entrypoint", "python", image, "-c", SERVE],
            capture_output=True, text=True, check=True).stdout.strip()

    def connect(self, network: str) -> None:
        subprocess.run(["docker", "network", "connect", "--alias", self.hostname, network, self.container],
                       capture_output=True, check=True)

    def stop(self) -> None:
        if self.container:
            subprocess.run(["docker", "rm", "-f", self.container], capture_output=True)
