// Stream's official JavaScript client against chatkeep-server on loopback: every assertion is
// on what the `stream-chat` package returns and emits. CHATKEEP_SERVER names the server binary.

'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const readline = require('node:readline');
const { StreamChat } = (() => {
  try {
    return require('stream-chat');
  } catch (e) {
    throw new Error(`stream-chat is not installed: run \`npm ci\` in tests/compat (scripts/test does): ${e.message}`);
  }
})();

const KEY = 'compat-key';
const SECRET = 'compat-secret';
const server = { process: null, url: null };
const admin = new StreamChat(KEY, SECRET);  // server side: createToken only, no requests
const clients = [];

before(async () => {
  const binary = process.env.CHATKEEP_SERVER;
  assert.ok(binary, 'CHATKEEP_SERVER must name the chatkeep-server binary');
  server.process = spawn(binary, ['--port', '0', '--api-key', KEY, '--api-secret', SECRET], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: server.process.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    server.process.once('exit', (code) => reject(new Error(`chatkeep-server exited with ${code}`)));
  });
  const match = /listening on (127\.0\.0\.1:\d+)/.exec(first);
  assert.ok(match, `unexpected first line: ${first}`);
  server.url = `http://${match[1]}`;
});

after(async () => {
  await Promise.all(clients.map((c) => c.disconnectUser().catch(() => {})));
  if (server.process) {
    const exited = new Promise((resolve) => server.process.once('exit', resolve));
    server.process.kill('SIGTERM');
    assert.equal(await exited, 0, 'chatkeep-server stops cleanly on SIGTERM');
  }
});

async function connect(id, name) {
  const client = new StreamChat(KEY, { allowServerSideConnect: true, timeout: 5000 });
  client.setBaseURL(server.url);
  clients.push(client);
  const connected = await client.connectUser({ id, name }, admin.createToken(id));
  return { client, connected };
}

// The next event of this type the emitter (client or channel) emits, or a rejection after 5 s.
function next(emitter, type, accept = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      reject(new Error(`no ${type} within 5 s`));
    }, 5000);
    const subscription = emitter.on(type, (event) => {
      if (!accept(event)) return;
      clearTimeout(timer);
      subscription.unsubscribe();
      resolve(event);
    });
  });
}

const unique = (prefix) => `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

test('connectUser, watch, send, edit, react, read, delete between two users', async () => {
  const { client: alice, connected } = await connect('alice', 'Alice');
  assert.equal(connected.me.id, 'alice');
  assert.equal(connected.me.name, 'Alice');
  assert.equal(connected.me.total_unread_count, 0);
  assert.ok(alice.wsConnection, 'a socket is open');
  const { client: bob } = await connect('bob', 'Bob');

  const id = unique('general');
  const aliceChannel = alice.channel('messaging', id, { members: ['alice', 'bob'], topic: 'compat' });
  const state = await aliceChannel.watch();
  assert.equal(state.channel.cid, `messaging:${id}`);
  assert.equal(state.channel.topic, 'compat');
  assert.deepEqual(state.members.map((m) => m.user_id).sort(), ['alice', 'bob']);
  assert.equal(aliceChannel.state.members.bob.user.id, 'bob');

  const [found] = await bob.queryChannels({ members: { $in: ['bob'] }, id }, [{ last_message_at: -1 }]);
  assert.equal(found.cid, `messaging:${id}`);
  const bobChannel = bob.channel('messaging', id);
  await bobChannel.watch();

  // A message from alice reaches bob over his socket.
  const arrived = next(bobChannel, 'message.new');
  const sent = await aliceChannel.sendMessage({ text: 'hello bob', mood: 'cheerful' });
  assert.equal(sent.message.text, 'hello bob');
  assert.equal(sent.message.mood, 'cheerful');
  const event = await arrived;
  assert.equal(event.message.id, sent.message.id);
  assert.equal(event.user.id, 'alice');
  assert.equal(event.total_unread_count, 1);
  assert.equal(bobChannel.state.messages.at(-1).text, 'hello bob');
  assert.equal(bobChannel.countUnread(), 1);

  // Alice edits; bob sees the update.
  const updated = next(bobChannel, 'message.updated');
  const edit = await alice.updateMessage({ id: sent.message.id, text: 'hello again, bob' });
  assert.equal(edit.message.text, 'hello again, bob');
  assert.equal((await updated).message.text, 'hello again, bob');
  assert.equal(bobChannel.state.messages.at(-1).text, 'hello again, bob');

  // Bob reacts and takes it back; alice sees both, with counts kept right.
  const reacted = next(aliceChannel, 'reaction.new');
  const reaction = await bobChannel.sendReaction(sent.message.id, { type: 'love' });
  assert.equal(reaction.reaction.type, 'love');
  assert.equal(reaction.message.reaction_counts.love, 1);
  assert.equal(reaction.message.own_reactions[0].user.id, 'bob');
  const newReaction = await reacted;
  assert.equal(newReaction.reaction.user.id, 'bob');
  assert.equal(aliceChannel.state.messages.at(-1).reaction_groups.love.count, 1);
  const unreacted = next(aliceChannel, 'reaction.deleted');
  const removal = await bobChannel.deleteReaction(sent.message.id, 'love');
  assert.equal(removal.message.reaction_counts.love, undefined);
  assert.equal((await unreacted).reaction.type, 'love');
  assert.equal(aliceChannel.state.messages.at(-1).reaction_groups.love, undefined);

  // Bob reads; alice sees message.read and his read state.
  // Bob's own count drops when his socket brings the same event back, which may come after the
  // HTTP answer.
  const read = next(aliceChannel, 'message.read', (e) => e.user.id === 'bob');
  const readBack = next(bobChannel, 'message.read', (e) => e.user.id === 'bob');
  const marked = await bobChannel.markRead();
  assert.equal(marked.event.type, 'message.read');
  assert.equal((await read).last_read_message_id, sent.message.id);
  assert.equal(aliceChannel.state.read.bob.unread_messages, 0);
  await readBack;
  assert.equal(bobChannel.countUnread(), 0);

  // Alice deletes; bob sees the soft delete.
  const deleted = next(bobChannel, 'message.deleted');
  const gone = await alice.deleteMessage(sent.message.id);
  assert.equal(gone.message.type, 'deleted');
  assert.ok(gone.message.deleted_at);
  assert.equal((await deleted).message.id, sent.message.id);
  assert.equal(bobChannel.state.messages.at(-1).type, 'deleted');

  // Nobody else edits or deletes alice's messages.
  const second = await aliceChannel.sendMessage({ text: 'mine' });
  await assert.rejects(bob.updateMessage({ id: second.message.id, text: 'stolen' }), (e) => {
    assert.equal(e.code, 17);
    assert.equal(e.status, 403);
    return true;
  });
  await assert.rejects(bob.deleteMessage(second.message.id), (e) => e.code === 17);
  const hard = await alice.deleteMessage(second.message.id, true);
  assert.equal(hard.message.id, second.message.id);
  await assert.rejects(alice.getMessage(second.message.id), (e) => e.code === 16);
});

test('pin, unpin, partial update, quoted and silent messages', async () => {
  const { client: alice } = await connect('alice', 'Alice');
  const { client: bob } = await connect('bob', 'Bob');
  const id = unique('pins');
  const aliceChannel = alice.channel('messaging', id, { members: ['alice', 'bob'] });
  await aliceChannel.watch();
  const bobChannel = bob.channel('messaging', id);
  await bobChannel.watch();

  const sent = await aliceChannel.sendMessage({ text: 'pin me' });
  const updated = next(bobChannel, 'message.updated');
  const expires = new Date(Date.now() + 3600 * 1000);
  const pinned = await alice.pinMessage(sent.message.id, expires);
  assert.equal(pinned.message.pinned, true);
  assert.equal(pinned.message.pinned_by.id, 'alice');
  assert.equal(new Date(pinned.message.pin_expires).getTime(), expires.getTime());
  assert.equal((await updated).message.pinned, true);
  assert.equal(bobChannel.state.pinnedMessages.at(-1).id, sent.message.id);
  // Only the author or the channel's owner pins.
  const bobs = await bobChannel.sendMessage({ text: 'mine' });
  await assert.rejects(bob.pinMessage(sent.message.id), (e) => e.code === 17);
  assert.equal((await alice.pinMessage(bobs.message.id)).message.pinned_by.id, 'alice');
  const unpinned = await alice.unpinMessage(sent.message.id);
  assert.equal(unpinned.message.pinned, false);
  assert.equal(unpinned.message.pinned_at, undefined);

  const partial = await alice.partialUpdateMessage(sent.message.id, { set: { text: 'pinned no more', mood: 'calm' } });
  assert.equal(partial.message.text, 'pinned no more');
  assert.equal(partial.message.mood, 'calm');
  const unset = await alice.partialUpdateMessage(sent.message.id, { unset: ['mood'] });
  assert.equal(unset.message.mood, undefined);

  const quoting = await bobChannel.sendMessage({ text: 'quoting', quoted_message_id: sent.message.id });
  assert.equal(quoting.message.quoted_message.id, sent.message.id);
  assert.equal(quoting.message.quoted_message.text, 'pinned no more');
  const silent = await bobChannel.sendMessage({ text: 'shh', silent: true });
  assert.equal(silent.message.silent, true);
  const [read] = (await aliceChannel.query({ state: true })).read.filter((r) => r.user.id === 'alice');
  assert.equal(read.unread_messages, 2, 'the silent message counts as nobody\'s unread');
});

test('hide and show, mute and unmute, pin and archive a channel; mute and block a user', async () => {
  const { client: alice } = await connect('alice', 'Alice');
  const { client: bob } = await connect('bob', 'Bob');
  const id = unique('settings');
  const channel = alice.channel('messaging', id, { members: ['alice', 'bob'] });
  await channel.watch();

  await channel.hide(null, true);
  const [hidden] = await alice.queryChannels({ id, hidden: true });
  assert.equal(hidden.cid, `messaging:${id}`);
  await channel.show();
  assert.equal((await alice.queryChannels({ id })).length, 1);

  const channelMutes = next(alice, 'notification.channel_mutes_updated');
  const muted = await channel.mute({ expiration: 60000 });
  assert.equal(muted.own_user.channel_mutes[0].channel.cid, `messaging:${id}`);
  await channelMutes;
  assert.equal(channel.muteStatus().muted, true);
  await channel.unmute();

  const pinned = await channel.pin();
  assert.ok(pinned.pinned_at);
  const archived = await channel.archive();
  assert.ok(archived.archived_at);
  assert.equal(archived.pinned_at, pinned.pinned_at);
  assert.equal((await channel.unpin()).pinned_at, undefined);
  await assert.rejects(bob.channel('messaging', id).partialUpdateMember('alice', { set: { pinned: true } }),
    (e) => e.code === 17);

  const mutes = next(alice, 'notification.mutes_updated');
  const mute = await alice.muteUser('bob', null, { timeout: 5 });
  assert.equal(mute.own_user.mutes[0].target.id, 'bob');
  assert.equal((await mutes).me.mutes[0].target.id, 'bob');
  await alice.unmuteUser('bob');
  const blocked = await alice.blockUser('bob');
  assert.equal(blocked.blocked_user_id, 'bob');
  await alice.unBlockUser('bob');
  await assert.rejects(alice.muteUser('nobody-at-all'), (e) => e.code === 16);
});

test('drafts: create, read, query, delete; sending clears the draft', async () => {
  const { client: alice } = await connect('alice', 'Alice');
  const id = unique('drafts');
  const channel = alice.channel('messaging', id, { members: ['alice', 'bob'] });
  await channel.watch();
  const updated = next(alice, 'draft.updated');
  const created = await channel.createDraft({ text: 'half a thought' });
  assert.equal(created.draft.message.text, 'half a thought');
  assert.equal(created.draft.channel_cid, `messaging:${id}`);
  assert.equal((await updated).draft.message.text, 'half a thought');
  assert.equal((await channel.getDraft()).draft.message.text, 'half a thought');
  const { drafts } = await alice.queryDrafts({ filter: { channel_cid: `messaging:${id}` } });
  assert.equal(drafts.length, 1);

  const deleted = next(alice, 'draft.deleted');
  await channel.sendMessage({ text: 'a whole thought' });
  assert.equal((await deleted).draft.message.text, 'half a thought');
  await assert.rejects(channel.getDraft(), (e) => e.code === 16);
  await channel.createDraft({ text: 'again' });
  await channel.deleteDraft();
  await assert.rejects(channel.getDraft(), (e) => e.code === 16);
});

test('a channel\'s life: update, partial update, members, invites, truncate, delete', async () => {
  const { client: alice } = await connect('alice', 'Alice');
  const { client: carol } = await connect('carol', 'Carol');
  const id = unique('life');
  const channel = alice.channel('messaging', id, { members: ['alice', 'bob'], name: 'Life' });
  await channel.watch();

  await channel.update({ name: 'Renamed', color: 'green' });
  const partial = await channel.updatePartial({ set: { topic: 'news' }, unset: ['color'] });
  assert.equal(partial.channel.name, 'Renamed');
  assert.equal(partial.channel.topic, 'news');
  assert.equal(partial.channel.color, undefined);
  await assert.rejects(carol.channel('messaging', id).updatePartial({ set: { topic: 'mine' } }),
    (e) => e.code === 17);

  const invited = next(carol, 'notification.invited');
  await channel.inviteMembers(['carol']);
  assert.equal((await invited).member.invited, true);
  const accepted = await carol.channel('messaging', id).acceptInvite();
  const member = accepted.members.find((m) => m.user.id === 'carol');
  assert.ok(member.invite_accepted_at);
  await assert.rejects(carol.channel('messaging', id).rejectInvite(), (e) => e.code === 4);
  const removed = await channel.removeMembers(['carol']);
  assert.deepEqual(removed.members.map((m) => m.user.id).sort(), ['alice', 'bob']);
  const added = await channel.addMembers(['carol']);
  assert.equal(added.members.length, 3);

  await channel.sendMessage({ text: 'soon gone' });
  const truncated = await channel.truncate();
  assert.ok(truncated.channel.truncated_at);
  assert.equal((await channel.query({ messages: { limit: 10 } })).messages.length, 0);
  const deleted = await channel.delete();
  assert.ok(deleted.channel.deleted_at);
});

test('typing: keystroke and stopTyping reach the other member', async () => {
  const { client: alice } = await connect('alice', 'Alice');
  const { client: bob } = await connect('bob', 'Bob');
  const id = unique('typing');
  const channel = alice.channel('messaging', id, { members: ['alice', 'bob'] });
  await channel.watch();
  await bob.channel('messaging', id).watch();
  const started = next(bob, 'typing.start');
  await channel.keystroke();
  assert.equal((await started).user.id, 'alice');
  const stopped = next(bob, 'typing.stop');
  await channel.stopTyping();
  assert.equal((await stopped).user.id, 'alice');
});

test('the own user\'s partial update, and only the own user\'s', async () => {
  const { client: alice } = await connect('alice', 'Alice');
  const updated = await alice.partialUpdateUser({ id: 'alice', set: { status: 'away' } });
  assert.equal(updated.users.alice.status, 'away');
  await assert.rejects(alice.partialUpdateUser({ id: 'bob', set: { name: 'Bobby' } }),
    (e) => e.code === 17);
  await assert.rejects(alice.partialUpdateUser({ id: 'alice', set: { role: 'admin' } }),
    (e) => e.code === 4);
});

test('client.search finds by text in the user\'s channels, with Stream\'s payload and paging', async () => {
  const { client: alice } = await connect('alice', 'Alice');
  const id = unique('search');
  const channel = alice.channel('messaging', id, { members: ['alice', 'bob'] });
  await channel.watch();
  const word = `kumquat${Date.now()}`;
  for (const text of [`a ${word} for you`, `${word} again`, 'nothing here', `Café ${word}`]) {
    await channel.sendMessage({ text });
  }
  const found = await alice.search({ cid: `messaging:${id}` }, word, {
    sort: [{ created_at: -1 }], limit: 2,
  });
  assert.deepEqual(found.results.map((r) => r.message.text), [`Café ${word}`, `${word} again`]);
  assert.equal(found.results[0].message.channel.cid, `messaging:${id}`);
  const next = await alice.search({ cid: `messaging:${id}` }, word, {
    sort: [{ created_at: -1 }], limit: 2, next: found.next,
  });
  assert.deepEqual(next.results.map((r) => r.message.text), [`a ${word} for you`]);
  const filtered = await alice.search({ members: { $in: ['alice'] } },
    { text: { $autocomplete: 'cafe' }, 'user.id': 'alice' });
  assert.ok(filtered.results.some((r) => r.message.text === `Café ${word}`));
  const { client: carol } = await connect('carol', 'Carol');
  const none = await carol.search({ cid: `messaging:${id}` }, word);
  assert.equal(none.results.length, 0);
});

test('sendImage and sendFile upload to the channel; their URLs serve the bytes', async () => {
  const { client: alice } = await connect('alice', 'Alice');
  const id = unique('files');
  const channel = alice.channel('messaging', id, { members: ['alice', 'bob'] });
  await channel.watch();
  const png = Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cfc0f01f0005000' +
      '1ff89993d1d0000000049454e44ae426082',
    'hex');
  const image = await channel.sendImage(png, 'dot.png', 'image/png');
  assert.match(image.file, /^http:\/\/127\.0\.0\.1:\d+\/uploads\/[0-9a-f]{64}\/dot\.png$/);
  let fetched = await fetch(image.file);
  assert.equal(fetched.status, 200);
  assert.equal(fetched.headers.get('content-type'), 'image/png');
  assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), png);

  const minutes = Buffer.from('minutes of the meeting');
  const file = await channel.sendFile(minutes, 'minutes.txt', 'text/plain');
  fetched = await fetch(file.file, { headers: { Range: 'bytes=0-6' } });
  assert.equal(fetched.status, 206);
  assert.equal(await fetched.text(), 'minutes');
  await assert.rejects(channel.sendImage(minutes, 'fake.png', 'image/png'), (e) => e.code === 4);

  const sent = await channel.sendMessage({
    text: 'see attached',
    attachments: [
      { type: 'image', image_url: image.file },
      { type: 'file', asset_url: file.file, title: 'minutes.txt' },
    ],
  });
  assert.equal(sent.message.attachments.length, 2);
  assert.equal(sent.message.attachments[1].asset_url, file.file);

  await channel.deleteFile(file.file);
  assert.equal((await fetch(file.file)).status, 404);
  await channel.deleteImage(image.file);
  assert.equal((await fetch(image.file)).status, 404);
});

test('client.sync returns what happened while a user was away', async () => {
  const { client: alice } = await connect('alice', 'Alice');
  let { client: bob } = await connect('bob', 'Bob');
  const id = unique('sync');
  const channel = alice.channel('messaging', id, { members: ['alice', 'bob'] });
  await channel.watch();
  await bob.channel('messaging', id).watch();
  await bob.disconnectUser();
  assert.equal(bob.userID, undefined);
  assert.notEqual(bob.wsConnection?.isHealthy, true);
  const since = new Date();

  const first = await channel.sendMessage({ text: 'while you were out' });
  const second = await channel.sendMessage({ text: 'and again' });
  await channel.sendReaction(first.message.id, { type: 'like' });

  ({ client: bob } = await connect('bob', 'Bob'));
  const synced = await bob.sync([`messaging:${id}`], since.toISOString());
  const types = synced.events.map((e) => e.type);
  assert.deepEqual(types, ['message.new', 'message.new', 'reaction.new']);
  assert.deepEqual(
    synced.events.filter((e) => e.type === 'message.new').map((e) => e.message.id),
    [first.message.id, second.message.id],
  );
  const [again] = await bob.queryChannels({ id });
  assert.equal(again.state.unreadCount, 2);

  await assert.rejects(bob.sync([`messaging:${id}`], '2000-01-01T00:00:00Z'), (e) => {
    assert.equal(e.code, 4);
    assert.match(e.message, /Too old last_sync_at/);
    return true;
  });
});

test('refused credentials and disconnectUser', async () => {
  const client = new StreamChat(KEY, { allowServerSideConnect: true, timeout: 5000 });
  client.setBaseURL(server.url);
  const forged = new StreamChat(KEY, 'another-secret').createToken('mallory');
  await assert.rejects(client.connectUser({ id: 'mallory' }, forged));
  await client.disconnectUser();

  const { client: carol } = await connect('carol', 'Carol');
  const id = unique('private');
  const { client: alice } = await connect('alice', 'Alice');
  await alice.channel('messaging', id, { members: ['alice'] }).watch();
  await assert.rejects(carol.channel('messaging', id).watch(), (e) => e.code === 17 && e.status === 403);
  await carol.disconnectUser();
  assert.equal(carol.userID, undefined);
  assert.notEqual(carol.wsConnection?.isHealthy, true);
});
