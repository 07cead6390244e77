/*
 * The C interface from C (C99, built with -Wall -Wextra -Werror -pedantic, and under ASan in the
 * sanitizer build): against a real chatkeep-server on loopback, a client connects, the server is
 * killed, a message is sent offline and stays in the outbox, the server comes back on the same
 * port with the same data, and the message is delivered once. Bad requests get error answers.
 * CHATKEEP_SERVER names the server binary.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chatkeep/chatkeep.h"

static int failures = 0;

#define CHECK(condition)                                                      \
  do {                                                                        \
    if (!(condition)) {                                                       \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #condition); \
      ++failures;                                                             \
    }                                                                         \
  } while (0)

#define REQUIRE(condition)                                                    \
  do {                                                                        \
    if (!(condition)) {                                                       \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #condition); \
      exit(1);                                                                \
    }                                                                         \
  } while (0)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The number of times `needle` occurs in `text`. */
static int occurrences(const char* text, const char* needle) {
  int n = 0;
  const char* at = text;
  while ((at = strstr(at, needle)) != NULL) {
    ++n;
    at += strlen(needle);
  }
  return n;
}

/* --- chatkeep-server ------------------------------------------------------------------------ */

struct server {
  pid_t pid;
  char url[64];
};

/* Starts chatkeep-server on `port` (0: any), with its data in `db`; its first line names the
 * address it listens on. */
static struct server start_server(const char* db, int port) {
  struct server s;
  char port_text[16];
  int out[2];
  FILE* lines;
  char line[256];
  const char* binary = getenv("CHATKEEP_SERVER");
  char* at;
  REQUIRE(binary != NULL);
  snprintf(port_text, sizeof port_text, "%d", port);
  REQUIRE(pipe(out) == 0);
  s.pid = fork();
  REQUIRE(s.pid >= 0);
  if (s.pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* it stops with the test, however the test ends */
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execl(binary, binary, "--port", port_text, "--api-key", "c-key", "--api-secret", "c-secret",
          "--db", db, "--no-chaos", "--log-level", "warn", (char*)NULL);
    _exit(127);
  }
  close(out[1]);
  lines = fdopen(out[0], "r");
  REQUIRE(lines != NULL);
  REQUIRE(fgets(line, sizeof line, lines) != NULL);
  at = strstr(line, "listening on ");
  REQUIRE(at != NULL);
  at += strlen("listening on ");
  at[strcspn(at, " \r\n")] = '\0';
  snprintf(s.url, sizeof s.url, "http://%s", at);
  /* The pipe stays open in the server; nothing more is read from it. */
  return s;
}

static void kill_server(struct server* s) {
  int status;
  kill(s->pid, SIGKILL);
  waitpid(s->pid, &status, 0);
}

static int port_of(const struct server* s) {
  const char* colon = strrchr(s->url, ':');
  return colon ? atoi(colon + 1) : 0;
}

/* --- the client ----------------------------------------------------------------------------- */

/* Waits up to `seconds` for an item containing `needle`, dropping the others; a copy, or NULL. */
static char* wait_for(chatkeep_client* client, const char* needle, double seconds) {
  const double deadline = now() + seconds;
  while (now() < deadline) {
    const char* item = chatkeep_receive(client, 0.2);
    if (item != NULL && strstr(item, needle) != NULL) {
      char* copy = malloc(strlen(item) + 1);
      REQUIRE(copy != NULL);
      strcpy(copy, item);
      return copy;
    }
  }
  fprintf(stderr, "nothing with %s within %.0f s\n", needle, seconds);
  return NULL;
}

static void test_bad_requests(void) {
  const char* answer;
  chatkeep_client* refused;
  char* item;
  answer = chatkeep_execute(NULL, "{\"method\": \"version\", \"extra\": 7}");
  REQUIRE(answer != NULL);
  CHECK(strstr(answer, chatkeep_version()) != NULL);
  CHECK(strstr(answer, "\"extra\":7") != NULL);
  answer = chatkeep_execute(NULL, "not json");
  CHECK(answer != NULL && strstr(answer, "\"@type\":\"error\"") != NULL);
  answer = chatkeep_execute(NULL, "{\"method\": \"no_such_method\"}");
  CHECK(answer != NULL && strstr(answer, "no method named") != NULL);
  answer = chatkeep_execute(
      NULL, "{\"method\": \"make_user_token\", \"params\": {\"secret\": 1, \"user_id\": \"a\"}}");
  CHECK(answer != NULL && strstr(answer, "params.secret") != NULL);
  answer = chatkeep_execute(NULL, "{\"method\": \"online\"}");
  CHECK(answer != NULL && strstr(answer, "needs a client") != NULL);
  answer = chatkeep_execute(NULL, NULL);
  CHECK(answer != NULL && strstr(answer, "\"@type\":\"error\"") != NULL);

  refused = chatkeep_create("{\"api_key\": 5}");
  REQUIRE(refused != NULL);
  item = wait_for(refused, "options.api_key", 5);
  CHECK(item != NULL);
  free(item);
  chatkeep_send(refused, "{\"method\": \"online\", \"extra\": \"x\"}");
  item = wait_for(refused, "\"extra\":\"x\"", 5);
  CHECK(item != NULL && strstr(item, "was not created") != NULL);
  free(item);
  chatkeep_destroy(refused);
}

/* What the callback saw: the answer, and whether it was called on a thread of the library's. */
struct called {
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  pthread_t caller;
  int calls;
  int from_caller;
  char last[512];
};

static void on_item(void* context, const char* json) {
  struct called* c = context;
  pthread_mutex_lock(&c->mutex);
  ++c->calls;
  if (pthread_equal(pthread_self(), c->caller)) c->from_caller = 1;
  snprintf(c->last, sizeof c->last, "%s", json);
  pthread_cond_broadcast(&c->changed);
  pthread_mutex_unlock(&c->mutex);
}

static void test_callback(void) {
  struct called c;
  struct timespec deadline;
  chatkeep_client* client;
  char* item;
  pthread_mutex_init(&c.mutex, NULL);
  pthread_cond_init(&c.changed, NULL);
  c.caller = pthread_self();
  c.calls = 0;
  c.from_caller = 0;
  c.last[0] = '\0';
  /* A client that never connects: local methods answer all the same. */
  client = chatkeep_create("{\"api_key\": \"k\", \"base_url\": \"http://127.0.0.1:9\"}");
  REQUIRE(client != NULL);
  chatkeep_set_callback(client, on_item, &c);
  chatkeep_send(client, "{\"method\": \"online\", \"extra\": \"by callback\"}");
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 10;
  pthread_mutex_lock(&c.mutex);
  while (c.calls == 0) {
    if (pthread_cond_timedwait(&c.changed, &c.mutex, &deadline) != 0) break;
  }
  CHECK(c.calls == 1);
  CHECK(c.from_caller == 0);
  CHECK(strstr(c.last, "\"extra\":\"by callback\"") != NULL);
  CHECK(strstr(c.last, "\"result\":false") != NULL);
  pthread_mutex_unlock(&c.mutex);
  /* Back to the queue. */
  chatkeep_set_callback(client, NULL, NULL);
  chatkeep_send(client, "{\"method\": \"online\", \"extra\": \"by queue\"}");
  item = wait_for(client, "\"extra\":\"by queue\"", 10);
  CHECK(item != NULL);
  free(item);
  pthread_mutex_lock(&c.mutex);
  CHECK(c.calls == 1);
  pthread_mutex_unlock(&c.mutex);
  chatkeep_destroy(client);
  pthread_cond_destroy(&c.changed);
  pthread_mutex_destroy(&c.mutex);
}

static void test_offline_send_is_delivered_once(const char* dir) {
  char db[512], data[512], options[1024], request[1024], token[512];
  const char* answer;
  char* item;
  struct server server;
  chatkeep_client* client;
  int port;
  double deadline;
  int delivered = 0;

  snprintf(db, sizeof db, "%s/server.sqlite", dir);
  snprintf(data, sizeof data, "%s/client", dir);
  server = start_server(db, 0);
  port = port_of(&server);

  answer = chatkeep_execute(NULL,
                            "{\"method\": \"make_user_token\", "
                            "\"params\": {\"secret\": \"c-secret\", \"user_id\": \"alice\"}}");
  REQUIRE(answer != NULL);
  {
    const char* start = strstr(answer, "\"result\":\"");
    REQUIRE(start != NULL);
    start += strlen("\"result\":\"");
    snprintf(token, sizeof token, "%.*s", (int)strcspn(start, "\""), start);
  }

  snprintf(options, sizeof options,
           "{\"api_key\": \"c-key\", \"base_url\": \"%s\", \"data_directory\": \"%s\", "
           "\"connect_timeout_ms\": 2000, \"request_timeout_ms\": 2000}",
           server.url, data);
  client = chatkeep_create(options);
  REQUIRE(client != NULL);
  snprintf(request, sizeof request,
           "{\"method\": \"connect_user\", \"extra\": \"connect\", "
           "\"params\": {\"user\": {\"id\": \"alice\", \"name\": \"Alice\"}, \"token\": \"%s\"}}",
           token);
  chatkeep_send(client, request);
  item = wait_for(client, "\"extra\":\"connect\"", 20);
  REQUIRE(item != NULL);
  CHECK(strstr(item, "\"@type\":\"answer\"") != NULL);
  CHECK(strstr(item, "\"id\":\"alice\"") != NULL);
  free(item);

  answer =
      chatkeep_execute(client,
                       "{\"method\": \"channel.create\", \"params\": {\"type\": \"messaging\", "
                       "\"id\": \"general\", \"members\": [\"alice\"]}}");
  CHECK(answer != NULL && strstr(answer, "\"@type\":\"answer\"") != NULL);
  /* The creation is delivered while online. */
  deadline = now() + 20;
  while (now() < deadline) {
    answer = chatkeep_execute(client, "{\"method\": \"outbox\"}");
    if (answer != NULL && strstr(answer, "\"result\":[]") != NULL) break;
    (void)chatkeep_receive(client, 0.1);
  }
  CHECK(answer != NULL && strstr(answer, "\"result\":[]") != NULL);

  /* Offline: the message waits in the outbox. */
  kill_server(&server);
  item = wait_for(client, "\"online\":false", 20);
  CHECK(item != NULL);
  free(item);
  answer = chatkeep_execute(client,
                            "{\"method\": \"channel.send_message\", \"params\": {\"type\": "
                            "\"messaging\", \"id\": \"general\", \"message\": {\"id\": \"m-c\", "
                            "\"text\": \"sent from C while offline\"}}}");
  CHECK(answer != NULL && strstr(answer, "sent from C while offline") != NULL);
  answer = chatkeep_execute(client, "{\"method\": \"outbox\"}");
  CHECK(answer != NULL && strstr(answer, "\"kind\":\"send_message\"") != NULL);

  /* Back, on the same port with the same data: delivered, once. */
  server = start_server(db, port);
  chatkeep_send(client, "{\"method\": \"network_available\"}");
  deadline = now() + 30;
  while (now() < deadline) {
    const char* got = chatkeep_receive(client, 0.2);
    if (got != NULL && strstr(got, "outbox.delivered") != NULL) ++delivered;
    answer = chatkeep_execute(client, "{\"method\": \"outbox\"}");
    if (delivered > 0 && answer != NULL && strstr(answer, "\"result\":[]") != NULL) break;
  }
  CHECK(delivered == 1);
  chatkeep_send(client,
                "{\"method\": \"channel.watch\", \"extra\": \"watch\", \"params\": "
                "{\"type\": \"messaging\", \"id\": \"general\"}}");
  item = wait_for(client, "\"source\":\"server\"", 20);
  REQUIRE(item != NULL);
  CHECK(strstr(item, "\"extra\":\"watch\"") != NULL);
  CHECK(occurrences(item, "\"id\":\"m-c\"") == 1);
  free(item);

  chatkeep_send(client, "{\"method\": \"disconnect_user\", \"extra\": \"bye\"}");
  item = wait_for(client, "\"extra\":\"bye\"", 20);
  CHECK(item != NULL && strstr(item, "discarded_outbox_entries") != NULL);
  free(item);
  chatkeep_destroy(client);
  kill_server(&server);
}

int main(void) {
  char dir[] = "/tmp/chatkeep-capi-XXXXXX";
  char command[128];
  REQUIRE(mkdtemp(dir) != NULL);
  test_bad_requests();
  test_callback();
  test_offline_send_is_delivered_once(dir);
  snprintf(command, sizeof command, "rm -rf %s", dir);
  if (system(command) != 0) fprintf(stderr, "could not remove %s\n", dir);
  if (failures > 0) fprintf(stderr, "%d checks failed\n", failures);
  return failures == 0 ? 0 : 1;
}
