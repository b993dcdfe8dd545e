/*
 * A stand-in for the berth binary, for checking the installer and the systemd unit on their own
 * (`scripts/test-installer --stand-in`). It answers the commands install.sh calls and, as
 * `berth agent`, behaves like the agent does towards systemd: READY=1 and STATUS= once started,
 * WATCHDOG=1 every WATCHDOG_USEC/2 from its main loop, STOPPING=1 on SIGTERM, exit 78 on a broken
 * agent.json (here: one holding "not-a-duration"), and /run/berth/api.sock made 0660.
 * It is never installed anywhere but in the test container; the real berth replaces it.
 *
 * Built by scripts/test-installer with `cc -static`; plain C and libc only, so that it runs in the
 * test rootfs whatever libraries the real binary needs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t reload_requested = 0;

static void on_term(int sig) {
  (void)sig;
  stop_requested = 1;
}
static void on_hup(int sig) {
  (void)sig;
  reload_requested = 1;
}

/* One datagram to $NOTIFY_SOCKET, as sd_notify(3) sends it. */
static void notify(const char* state) {
  const char* path = getenv("NOTIFY_SOCKET");
  if (path == NULL || path[0] == '\0') return;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t len = strlen(path);
  if (len >= sizeof addr.sun_path) return;
  memcpy(addr.sun_path, path, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  if (sendto(fd, state, strlen(state), 0, (struct sockaddr*)&addr, addr_len) < 0) {
    fprintf(stderr, "stand-in: sd_notify: %s\n", strerror(errno));
  }
  close(fd);
}

static char* read_file(const char* path) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return NULL;
  static char buffer[65536];
  size_t n = fread(buffer, 1, sizeof buffer - 1, f);
  buffer[n] = '\0';
  fclose(f);
  return buffer;
}

static const char* config_path(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (strcmp(argv[i], "--config") == 0) return argv[i + 1];
  }
  const char* env = getenv("BERTH_CONFIG");
  return env != NULL && env[0] != '\0' ? env : "/etc/berth/agent.json";
}

static int check_config(const char* path) {
  const char* text = read_file(path);
  if (text == NULL) return 0; /* every key is optional */
  if (strstr(text, "not-a-duration") != NULL) {
    fprintf(stderr, "%s: poll.interval: \"not-a-duration\" is not a duration\n", path);
    return 78;
  }
  return 0;
}

static int token_create(void) {
  unsigned char raw[32];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, raw, sizeof raw) != (ssize_t)sizeof raw) {
    fprintf(stderr, "stand-in: no randomness\n");
    return 1;
  }
  close(fd);
  char token[2 * sizeof raw + 1];
  for (size_t i = 0; i < sizeof raw; ++i) snprintf(token + 2 * i, 3, "%02x", raw[i]);
  umask(077);
  FILE* tokens = fopen("/etc/berth/tokens.json", "w");
  if (tokens == NULL) {
    fprintf(stderr, "stand-in: /etc/berth/tokens.json: %s\n", strerror(errno));
    return 1;
  }
  /* The real agent stores a SHA-256; the stand-in only needs a non-empty file. */
  fprintf(tokens, "{\"tokens\":[{\"name\":\"admin\",\"scope\":\"admin\"}]}\n");
  fclose(tokens);
  printf("%s\n", token);
  return 0;
}

static void open_control_socket(void) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  strcpy(addr.sun_path, "/run/berth/api.sock");
  unlink(addr.sun_path);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) == 0 && listen(fd, 8) == 0) {
    chmod(addr.sun_path, 0660);
  } else {
    fprintf(stderr, "stand-in: /run/berth/api.sock: %s\n", strerror(errno));
  }
}

static int run_agent(int argc, char** argv) {
  int status = check_config(config_path(argc, argv));
  if (status != 0) return status;
  struct sigaction term = {0};
  term.sa_handler = on_term;
  sigaction(SIGTERM, &term, NULL);
  sigaction(SIGINT, &term, NULL);
  struct sigaction hup = {0};
  hup.sa_handler = on_hup;
  sigaction(SIGHUP, &hup, NULL);

  open_control_socket();
  long long watchdog_usec = 0;
  const char* usec = getenv("WATCHDOG_USEC");
  if (usec != NULL) watchdog_usec = atoll(usec);
  notify("READY=1\nSTATUS=stand-in agent: watching 0 services");
  fprintf(stderr, "stand-in agent: ready (watchdog %lld us)\n", watchdog_usec);

  long long tick_usec = watchdog_usec > 0 ? watchdog_usec / 2 : 1000000;
  while (!stop_requested) {
    struct timespec tick = {(time_t)(tick_usec / 1000000), (long)(tick_usec % 1000000) * 1000};
    nanosleep(&tick, NULL);
    if (reload_requested) {
      reload_requested = 0;
      notify("STATUS=stand-in agent: reloaded");
    }
    if (watchdog_usec > 0) notify("WATCHDOG=1");
  }
  notify("STOPPING=1");
  unlink("/run/berth/api.sock");
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "version") == 0) {
    printf("berth 0.0.0-stand-in\n");
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "validate") == 0) return check_config(config_path(argc, argv));
  if (argc >= 3 && strcmp(argv[1], "token") == 0 && strcmp(argv[2], "create") == 0) return token_create();
  if (argc >= 2 && strcmp(argv[1], "agent") == 0) return run_agent(argc, argv);
  fprintf(stderr, "stand-in: unknown command\n");
  return 2;
}
