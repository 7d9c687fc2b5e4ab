import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection, serverNameNote } from './platform-readme.js';

/**
 * C has no JSON parser at hand, so this platform carries its own `key = value` file with the
 * settings config.json holds, and the example reads that.
 */
function connectionConf(ctx: PlatformContext): string {
  const { cluster } = ctx;
  const lines = [
    '# Connection settings for example.c (the same values as config.json).',
    `contact_points = ${cluster.contactPoints.join(',')}`,
    `port = ${cluster.port}`,
    `local_dc = ${cluster.localDatacenter}`,
    `hostname_verification = ${cluster.hostnameVerification}`,
  ];
  if (cluster.keyspace !== undefined) lines.push(`keyspace = ${cluster.keyspace}`);
  if (ctx.credentials) {
    lines.push(`username = ${ctx.credentials.username}`, `password = ${ctx.credentials.password}`);
  }
  return `${lines.join('\n')}\n`;
}

const EXAMPLE = `/* Connects with the bundle's client certificate and prints the server's release_version. */
#include <cassandra.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct settings {
  char contact_points[4096], port[16], local_dc[256], keyspace[256], hostname_verification[8];
  char username[512], password[512];
};

static char* read_file(const char* dir, const char* name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE* file = fopen(path, "rb");
  if (file == NULL) {
    fprintf(stderr, "cannot open %s\\n", path);
    return NULL;
  }
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  rewind(file);
  char* text = malloc((size_t)size + 1);
  size_t got = text == NULL ? 0 : fread(text, 1, (size_t)size, file);
  fclose(file);
  if (text != NULL) text[got] = '\\0';
  return text;
}

static char* trim(char* s) {
  while (*s == ' ' || *s == '\\t') s++;
  char* end = s + strlen(s);
  while (end > s && strchr(" \\t\\r\\n", end[-1]) != NULL) *--end = '\\0';
  return s;
}

static int load_settings(const char* dir, struct settings* s) {
  char* text = read_file(dir, "platforms/cpp/connection.conf");
  if (text == NULL) return -1;
  for (char* line = strtok(text, "\\n"); line != NULL; line = strtok(NULL, "\\n")) {
    char* eq = strchr(line, '=');
    if (line[0] == '#' || eq == NULL) continue;
    *eq = '\\0';
    const char* key = trim(line);
    const char* value = trim(eq + 1);
    struct { const char* name; char* field; size_t size; } known[] = {
        {"contact_points", s->contact_points, sizeof s->contact_points},
        {"port", s->port, sizeof s->port},
        {"local_dc", s->local_dc, sizeof s->local_dc},
        {"keyspace", s->keyspace, sizeof s->keyspace},
        {"hostname_verification", s->hostname_verification, sizeof s->hostname_verification},
        {"username", s->username, sizeof s->username},
        {"password", s->password, sizeof s->password},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
      if (strcmp(key, known[i].name) == 0) snprintf(known[i].field, known[i].size, "%s", value);
    }
  }
  free(text);
  return 0;
}

static void print_error(CassFuture* future) {
  const char* message;
  size_t length;
  cass_future_error_message(future, &message, &length);
  fprintf(stderr, "%.*s\\n", (int)length, message);
}

int main(void) {
  const char* dir = getenv("SCB_BUNDLE_DIR");
  if (dir == NULL || dir[0] == '\\0') dir = ".";
  struct settings s = {0};
  char* ca = read_file(dir, "ca.crt");
  char* cert = read_file(dir, "cert");
  char* key = read_file(dir, "key");
  if (load_settings(dir, &s) != 0 || ca == NULL || cert == NULL || key == NULL) return 1;

  CassSsl* ssl = cass_ssl_new();
  int verify = CASS_SSL_VERIFY_PEER_CERT;
  if (strcmp(s.hostname_verification, "true") == 0) verify |= CASS_SSL_VERIFY_PEER_IDENTITY_DNS;
  cass_ssl_set_verify_flags(ssl, verify);
  if (cass_ssl_add_trusted_cert(ssl, ca) != CASS_OK || cass_ssl_set_cert(ssl, cert) != CASS_OK ||
      cass_ssl_set_private_key(ssl, key, "") != CASS_OK) {
    fprintf(stderr, "cannot load ca.crt, cert or key\\n");
    return 1;
  }

  CassCluster* cluster = cass_cluster_new();
  cass_cluster_set_contact_points(cluster, s.contact_points);
  cass_cluster_set_port(cluster, atoi(s.port));
  cass_cluster_set_load_balance_dc_aware(cluster, s.local_dc, 0, cass_false);
  /* The DNS identity check needs each node's name, found by reverse lookup of its address. */
  if (verify & CASS_SSL_VERIFY_PEER_IDENTITY_DNS) cass_cluster_set_use_hostname_resolution(cluster, cass_true);
  cass_cluster_set_ssl(cluster, ssl);
  if (s.username[0] != '\\0') cass_cluster_set_credentials(cluster, s.username, s.password);

  CassSession* session = cass_session_new();
  CassFuture* connect = s.keyspace[0] != '\\0' ? cass_session_connect_keyspace(session, cluster, s.keyspace)
                                              : cass_session_connect(session, cluster);
  int rc = 1;
  if (cass_future_error_code(connect) == CASS_OK) {
    CassStatement* statement = cass_statement_new("SELECT release_version FROM system.local", 0);
    CassFuture* future = cass_session_execute(session, statement);
    if (cass_future_error_code(future) == CASS_OK) {
      const CassResult* result = cass_future_get_result(future);
      const CassRow* row = cass_result_first_row(result);
      const char* version;
      size_t length;
      if (row != NULL &&
          cass_value_get_string(cass_row_get_column_by_name(row, "release_version"), &version, &length) == CASS_OK) {
        printf("%.*s\\n", (int)length, version);
        rc = 0;
      }
      cass_result_free(result);
    } else {
      print_error(future);
    }
    cass_future_free(future);
    cass_statement_free(statement);
    CassFuture* close = cass_session_close(session);
    cass_future_wait(close);
    cass_future_free(close);
  } else {
    print_error(connect);
  }
  cass_future_free(connect);
  cass_session_free(session);
  cass_cluster_free(cluster);
  cass_ssl_free(ssl);
  free(ca);
  free(cert);
  free(key);
  return rc;
}
`;

export const platform: Platform = {
  id: 'cpp',
  title: 'C/C++ (DataStax C/C++ driver)',
  files(ctx: PlatformContext): PlatformFile[] {
    return [
      { path: 'connection.conf', content: connectionConf(ctx) },
      { path: 'example.c', content: EXAMPLE },
    ];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'C/C++ (DataStax C/C++ driver)',
      '`platforms/cpp/example.c` reads `platforms/cpp/connection.conf` (contact points, port, local datacenter) ' +
        `and loads \`${ctx.files.caCert}\`, \`${ctx.files.cert}\` and \`${ctx.files.key}\` with ` +
        '`cass_ssl_add_trusted_cert`, `cass_ssl_set_cert` and `cass_ssl_set_private_key`; ' +
        '`cass_ssl_set_verify_flags` always verifies the certificate chain and adds the DNS identity check ' +
        '(with reverse lookup of node addresses) when `hostname_verification` is true. Build against the ' +
        'C/C++ driver 2.17 (`libcassandra`) and run from the bundle root:',
      codeBlock('sh', [
        'cc -o scb-example platforms/cpp/example.c -lcassandra',
        'SCB_BUNDLE_DIR=. ./scb-example',
      ]),
      serverNameNote('The C/C++ driver', ctx.cluster.tlsServerName, ctx.cluster.hostnameVerification),
    );
  },
};
