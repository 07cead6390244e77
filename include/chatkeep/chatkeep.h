/*
 * chatkeep.h: chatkeep's C interface, for every language that can load a shared library
 * (libchatkeep.so). It speaks JSON, in the shape TDLib's td_json_client made common: a request
 * is a JSON object naming a method of the C++ API (snake_case, the same name) and its
 * parameters; answers and events come back as JSON objects; models are the wire protocol's JSON.
 * docs/c-api.md lists every method.
 *
 *   request  {"method": "connect_user", "params": {...}, "extra": <anything>}
 *   answer   {"@type": "answer", "method": ..., "extra": <as sent>, "result": ...}
 *            with "source": "cache" or "server" for a method that answers twice (cache first),
 *            and "final": true on the last answer to the request
 *   error    {"@type": "error", "method": ..., "extra": <as sent>,
 *             "error": {"code": <int>, "http_status": <int>, "message": ...,
 *                       "retriable": <bool>}}   (the codes of chatkeep/error.hpp)
 *   event    {"@type": "event", "event": <the wire protocol's event>}
 *
 * A request that is not JSON, names no method or an unknown one, or has bad parameters gets an
 * error answer, never a crash; so does every request to a handle whose options were refused.
 *
 * Contract:
 * - Strings in and out are UTF-8 and NUL-terminated. The library copies what it is given.
 * - A string chatkeep_receive() returns is the library's until the next chatkeep_receive() on
 *   the same handle; one chatkeep_execute() returns is the library's until the next
 *   chatkeep_execute() on the same thread. Copy what must live longer.
 * - chatkeep_send() and chatkeep_execute() may be called from any thread, at any time between
 *   chatkeep_create() and chatkeep_destroy(). chatkeep_receive() from one thread at a time.
 * - With a callback set (chatkeep_set_callback), answers and events go to it instead of the
 *   queue chatkeep_receive() reads: called on a thread of the library's, one at a time, in
 *   order, never from inside a chatkeep_* call. It must return soon and must not call
 *   chatkeep_destroy() on its handle. Dart's NativeCallable.listener and Python's ctypes
 *   callbacks both accept calls from such a thread.
 * - chatkeep_destroy() disconnects (without flushing the store), stops the handle's threads and
 *   frees it; answers not yet delivered are dropped.
 *
 * This header is plain C99.
 */
#ifndef CHATKEEP_CHATKEEP_H
#define CHATKEEP_CHATKEEP_H

#if defined(__GNUC__)
#define CHATKEEP_API __attribute__((visibility("default")))
#else
#define CHATKEEP_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* A client: one ChatClient and the queue of what it answers. */
typedef struct chatkeep_client chatkeep_client;

/* Called with each answer or event, and the context given with it. */
typedef void (*chatkeep_callback)(void* context, const char* json);

/* The library's version, "major.minor.patch": static, never freed. */
CHATKEEP_API const char* chatkeep_version(void);

/* A client for the options' app (docs/c-api.md): {"api_key": ..., "base_url": ...,
 * "data_directory": ..., "connection_mode": "regular" or "background", "log_level": ...}.
 * Never NULL but for want of memory: options it refuses make a handle whose first answer is
 * the error, and which answers every request with it. */
CHATKEEP_API chatkeep_client* chatkeep_create(const char* options_json);

/* Queues a request; its answers come from chatkeep_receive() or the callback. */
CHATKEEP_API void chatkeep_send(chatkeep_client* client, const char* request_json);

/* The next answer or event, waiting up to `timeout_seconds` for one; NULL if none came. */
CHATKEEP_API const char* chatkeep_receive(chatkeep_client* client, double timeout_seconds);

/* Runs a synchronous local request (docs/c-api.md says which methods are) and returns its
 * answer. `client` may be NULL for the methods that need none (version, make_user_token,
 * make_dev_token). */
CHATKEEP_API const char* chatkeep_execute(chatkeep_client* client, const char* request_json);

/* Sends answers and events to `callback` from now on (NULL: to the queue again). */
CHATKEEP_API void chatkeep_set_callback(chatkeep_client* client, chatkeep_callback callback,
                                        void* context);

CHATKEEP_API void chatkeep_destroy(chatkeep_client* client);

#ifdef __cplusplus
}
#endif

#endif /* CHATKEEP_CHATKEEP_H */
