"""The Python driver in cloud mode with nothing but the zip:
    Cluster(cloud={'secure_connect_bundle': zip})
Runs `SELECT host_id FROM system.local` N times and prints one JSON line:
{"releaseVersion": "..", "hostIds": [...distinct node host_ids]}.
Usage: python cloud_query.py <zip> [queries]
"""
import json
import sys

from cassandra.cluster import Cluster

zip_path = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 8
cluster = Cluster(cloud={'secure_connect_bundle': zip_path}, protocol_version=5)
try:
    session = cluster.connect()
    host_ids = set()
    release_version = None
    for _ in range(count):
        row = session.execute('SELECT host_id, release_version FROM system.local').one()
        host_ids.add(str(row.host_id))
        release_version = row.release_version
    print(json.dumps({'releaseVersion': release_version, 'hostIds': sorted(host_ids)}))
finally:
    cluster.shutdown()
