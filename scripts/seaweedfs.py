"""scripts/seaweedfs: start and stop SeaweedFS's S3 gateway on loopback for the tests (see the wrapper)."""
import json, os, secrets, signal, socket, subprocess, sys, time, urllib.error, urllib.request

import boto3

WEED = os.path.join(os.path.dirname(sys.executable), "weed")


def free_base():
    """A port P with P, P+1, P+2, P+3 and their gRPC twins (+10000) free on loopback."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base > 55000 - 4 or base < 20000:
            continue
        ports = [base + i for i in range(4)] + [base + 10000 + i for i in range(4)]
        if all(is_free(port) for port in ports):
            return base
    raise SystemExit("seaweedfs: no free ports")


def is_free(port):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def watch(parent, pid):
    """A watchdog: kills weed's process group once `parent` (a test process) is gone, however it ended."""
    if os.fork() != 0:
        return
    os.setsid()
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # the caller reads our output to its end: the watchdog must not hold it open
        os.dup2(quiet, fd)
    os.closerange(3, 65536)  # nor anything else the caller gave us (Foundation's Process watches a socket for our end)
    while True:
        time.sleep(1)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            break
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os._exit(0)


def start(directory, buckets, parent=None):
    directory = os.path.abspath(directory)
    os.makedirs(os.path.join(directory, "data"), exist_ok=True)
    key, secret = "wx" + secrets.token_hex(8), secrets.token_hex(20)
    with open(os.path.join(directory, "s3.json"), "w") as f:
        json.dump({"identities": [{"name": "wxmediafs", "credentials": [{"accessKey": key, "secretKey": secret}],
                                   "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}, f)
    credentials = os.path.join(directory, "credentials")
    with open(os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(f"[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
    base = free_base()
    master, volume, filer, s3 = base, base + 1, base + 2, base + 3
    log = open(os.path.join(directory, "weed.log"), "ab")
    process = subprocess.Popen(
        [WEED, "server", f"-dir={directory}/data", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-master.port={master}",
         f"-volume.port={volume}", f"-filer.port={filer}", "-s3", f"-s3.port={s3}", f"-s3.config={directory}/s3.json",
         "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false", "-volume.max=0", "-master.volumeSizeLimitMB=64"],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    endpoint = f"http://127.0.0.1:{s3}"
    deadline = time.monotonic() + 60
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1")
    while True:
        if process.poll() is not None:
            raise SystemExit(f"seaweedfs: weed exited ({process.returncode}); see {directory}/weed.log")
        try:
            client.list_buckets()
            break
        except Exception:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"seaweedfs: the S3 gateway did not answer within 60 s; see {directory}/weed.log")
            time.sleep(0.25)
    for bucket in buckets:
        client.create_bucket(Bucket=bucket)
    if parent:
        watch(parent, process.pid)
    with open(os.path.join(directory, "pid"), "w") as f:
        f.write(f"{process.pid}\n")
    with open(os.path.join(directory, "endpoint"), "w") as f:
        f.write(endpoint + "\n")
    print(endpoint)


def stop(directory):
    try:
        pid = int(open(os.path.join(directory, "pid")).read())
    except (OSError, ValueError):
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    os.unlink(os.path.join(directory, "pid"))


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "start" and sys.argv[2] == "--watch":
        start(sys.argv[4], sys.argv[5:], parent=int(sys.argv[3]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "start":
        start(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 3 and sys.argv[1] == "stop":
        stop(sys.argv[2])
    else:
        raise SystemExit(__doc__)
