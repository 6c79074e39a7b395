"""scripts/seaweedfs: start and stop SeaweedFS's S3 gateway on loopback for the tests (see the wrapper)."""
import json, os, secrets, signal, socket, subprocess, sys, time, urllib.error, urllib.request

import boto3

WEED = os.path.join(os.path.dirname(sys.executable), "weed")


def free_ports():
    """Eight free loopback ports below the ephemeral range (an outgoing connection never takes one meanwhile):
    HTTP and gRPC for the master, the volume server, the filer and the S3 gateway."""
    low, _ = (int(x) for x in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
    for _ in range(200):
        base = secrets.randbelow(max(1, low - 10_016 - 16)) + 10_000
        ports = [base + i for i in range(8)]
        if all(is_free(port) for port in ports):
            return ports
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
    for attempt in range(3):  # a port taken between the check and weed's bind ends weed at once: new ports
        process, endpoint = launch(directory, key, secret, buckets)
        if endpoint:
            break
    else:
        raise SystemExit(f"seaweedfs: weed exited three times; see {directory}/weed.log")
    if parent:
        watch(parent, process.pid)
    with open(os.path.join(directory, "endpoint"), "w") as f:
        f.write(endpoint + "\n")
    print(endpoint)


def launch(directory, key, secret, buckets):
    """weed on new ports: (process, endpoint), or (process, None) when it exited before answering."""
    master, volume, filer, s3, *grpc = free_ports()
    log = open(os.path.join(directory, "weed.log"), "ab")
    process = subprocess.Popen(
        [WEED, "server", f"-dir={directory}/data", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-master.port={master}",
         f"-volume.port={volume}", f"-filer.port={filer}", "-s3", f"-s3.port={s3}", f"-s3.config={directory}/s3.json",
         f"-master.port.grpc={grpc[0]}", f"-volume.port.grpc={grpc[1]}", f"-filer.port.grpc={grpc[2]}", f"-s3.port.grpc={grpc[3]}",
         "-s3.port.iceberg=0", "-s3.domainName=localhost", "-s3.port.lance=0", "-master.telemetry=false", "-volume.max=0", "-master.volumeSizeLimitMB=64"],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    with open(os.path.join(directory, "pid"), "w") as f:
        f.write(f"{process.pid}\n")
    try:
        return process, ready(process, directory, key, secret, s3, buckets)
    except BaseException:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if process.poll() is not None and process.returncode != -signal.SIGKILL:
            return process, None
        raise


def ready(process, directory, key, secret, s3, buckets):
    """Waits for the S3 gateway, makes the buckets; the endpoint."""
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
                raise SystemExit(f"seaweedfs: the S3 gateway did not answer within 60 s; see {directory}/weed.log")
            time.sleep(0.25)
    for bucket in buckets:
        try:
            client.create_bucket(Bucket=bucket)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass  # DIR's data kept from an earlier start
    return endpoint


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
