// An SMSC for Herald's SMPP tests, built on node-smpp 0.5.1: an SMPP implementation independent
// of jSMPP, so the tests check Herald against another reading of SMPP 3.4 than its own.
//
//   node smsc.js --port 0 --log taken.jsonl [options]
//
// It prints one JSON line per event on stdout; the first is {"event":"listening","port":N}.
// It reads one JSON command per line on stdin:
//   {"cmd":"mo","from":"447400123456","to":"ACME","text":"STOP"}   a recipient's message, to a bound receiver
//   {"cmd":"drop"}                                                  cut every connection now
//   {"cmd":"garbage"}                                               write bytes that are no PDU to every bound session
//   {"cmd":"bad-receipt","text":"..."}                              a deliver_sm flagged as a receipt with this text
//   {"cmd":"receipt","id":"...","stat":"DELIVRD"}                   a receipt for an id it never gave
//   {"cmd":"stats"}                                                 prints {"event":"stats",...}
//
// Every submit_sm it takes (answers ESME_ROK) is appended to the --log file as one JSON line before
// the answer is sent: the tests' oracle of what reached the SMSC. Options:
//   --system-id ID --password PW    credentials it accepts (default herald / secret)
//   --throttle-every N              answer every Nth submit_sm ESME_RTHROTTLED (0x58), not taken
//   --queue-full-every N            answer every Nth submit_sm ESME_RMSGQFUL (0x14), not taken
//   --invalid-prefix P              a destination starting with P is refused ESME_RINVDSTADR (0x0B)
//   --undeliverable-suffix S        a destination ending with S gets an UNDELIV receipt (err:001)
//   --undeliverable-part N          with --undeliverable-suffix: of a concatenated message (UDH) to such a
//                                   destination, only part N is UNDELIV; its other parts are DELIVRD
//   --receipt-delay-ms D            receipts go out D ms after the submit_sm_resp (default 20)
//   --early-receipt-every K         every Kth receipt goes out before its submit_sm_resp
//   --hex-ids                       submit_sm_resp ids are 8 upper-case hex digits; receipts give the
//                                   same id in decimal (as some SMSCs do)
//   --receipt-tlv-every M           every Mth receipt carries receipted_message_id and message_state
//                                   TLVs (default 2: every other; the rest carry the text only)
// Receipts wait while no receiver or transceiver is bound, and one whose deliver_sm_resp never
// came (the session closed) is offered again to the next: as an SMSC keeps them.
//   --drop-at N                     on the Nth submit_sm: take it (logged), answer nothing, cut every
//                                   connection, refuse binds for --down-ms (default 500), then come back
//   --window-delay-ms W             hold each submit_sm_resp W ms (a slow SMSC)
//   --receipts-elsewhere            a receipt goes to a bound receiver or transceiver other than the session
//                                   that took its message, when there is one (round robin: as an SMSC
//                                   spreading an account's receipts over all its binds, e.g. of several hosts)
//   --hang-at N                     the session that gets the Nth submit_sm stops answering submit_sm for good
//                                   (it takes and logs them, and still answers enquire_link: a hung session)
'use strict';

const fs = require('fs');
const readline = require('readline');
const smpp = require('smpp');

const args = parseArgs(process.argv.slice(2));
const opt = {
  port: int(args.port, 0),
  log: args.log || 'taken.jsonl',
  systemId: args['system-id'] || 'herald',
  password: args.password || 'secret',
  throttleEvery: int(args['throttle-every'], 0),
  queueFullEvery: int(args['queue-full-every'], 0),
  invalidPrefix: args['invalid-prefix'] || null,
  undeliverableSuffix: args['undeliverable-suffix'] || null,
  undeliverablePart: int(args['undeliverable-part'], 0),
  receiptDelayMs: int(args['receipt-delay-ms'], 20),
  earlyReceiptEvery: int(args['early-receipt-every'], 0),
  hexIds: args['hex-ids'] === true,
  receiptTlvEvery: int(args['receipt-tlv-every'], 2),
  dropAt: int(args['drop-at'], 0),
  downMs: int(args['down-ms'], 500),
  windowDelayMs: int(args['window-delay-ms'], 0),
  hangAt: int(args['hang-at'], 0),
  receiptsElsewhere: args['receipts-elsewhere'] === true,
};

const logFd = fs.openSync(opt.log, 'a');
const stats = { submits: 0, taken: 0, throttled: 0, queueFull: 0, invalid: 0, receipts: 0, receiptResps: 0, receiptsRefused: 0,
  mo: 0, binds: 0, unbinds: 0, enquireLinks: 0, drops: 0, receiptsElsewhere: 0 };
let elsewhereTurn = 0;
let nextId = 1000;
let receiptCount = 0;
let downUntil = 0;
const sessions = new Set();

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const server = smpp.createServer(function (session) {
  if (Date.now() < downUntil) {
    session.destroy();
    return;
  }
  session.bound = null;
  sessions.add(session);
  session.on('close', () => {
    sessions.delete(session);
    if (session.pendingReceipts) {
      for (const options of session.pendingReceipts.values()) {
        queuedReceipts.push(options); // never acknowledged: offered again to the next receiver
      }
      session.pendingReceipts.clear();
    }
  });
  session.on('error', (e) => emit({ event: 'session-error', message: String(e && e.message) }));
  for (const kind of ['bind_transceiver', 'bind_transmitter', 'bind_receiver']) {
    session.on(kind, function (pdu) {
      if (pdu.system_id !== opt.systemId || pdu.password !== opt.password) {
        session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
        emit({ event: 'bind-refused', kind, systemId: pdu.system_id });
        return;
      }
      session.bound = kind.substring(5);
      session.systemId = pdu.system_id;
      stats.binds++;
      session.send(pdu.response({ system_id: 'node-smsc' }));
      emit({ event: 'bound', kind: session.bound, systemId: pdu.system_id });
      if (session.bound !== 'transmitter') {
        setTimeout(flushReceipts, 10);
      }
    });
  }
  session.on('enquire_link', function (pdu) {
    stats.enquireLinks++;
    session.send(pdu.response());
  });
  session.on('unbind', function (pdu) {
    stats.unbinds++;
    session.send(pdu.response());
    session.close();
    emit({ event: 'unbound' });
  });
  session.on('deliver_sm_resp', function () {});
  session.on('submit_sm', function (pdu) {
    onSubmit(session, pdu);
  });
});

function onSubmit(session, pdu) {
  if (!session.bound || session.bound === 'receiver') {
    session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
    return;
  }
  stats.submits++;
  const n = stats.submits;
  if (opt.dropAt > 0 && n === opt.dropAt) {
    take(session, pdu, newId());
    stats.drops++;
    downUntil = Date.now() + opt.downMs;
    emit({ event: 'dropping', at: n });
    for (const s of sessions) {
      s.destroy();
    }
    return;
  }
  if (opt.hangAt > 0 && n === opt.hangAt) {
    session.hung = true;
    emit({ event: 'hung', at: n });
  }
  if (session.hung) {
    take(session, pdu, newId()); // taken, never answered
    return;
  }
  if (opt.throttleEvery > 0 && n % opt.throttleEvery === 0) {
    stats.throttled++;
    session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
    return;
  }
  if (opt.queueFullEvery > 0 && n % opt.queueFullEvery === 0) {
    stats.queueFull++;
    session.send(pdu.response({ command_status: smpp.ESME_RMSGQFUL }));
    return;
  }
  if (opt.invalidPrefix && String(pdu.destination_addr).startsWith(opt.invalidPrefix)) {
    stats.invalid++;
    session.send(pdu.response({ command_status: smpp.ESME_RINVDSTADR }));
    return;
  }
  const id = newId();
  take(session, pdu, id);
  const wantsReceipt = (pdu.registered_delivery & 0x03) !== 0;
  const early = wantsReceipt && opt.earlyReceiptEvery > 0 && (++receiptCount % opt.earlyReceiptEvery === 0);
  const answer = () => {
    session.send(pdu.response({ message_id: respId(id) }));
    if (wantsReceipt && !early) {
      setTimeout(() => receipt(session, pdu, id), opt.receiptDelayMs);
    }
  };
  if (early) {
    receipt(session, pdu, id);
    setTimeout(answer, Math.max(opt.windowDelayMs, 30));
  } else if (opt.windowDelayMs > 0) {
    setTimeout(answer, opt.windowDelayMs);
  } else {
    answer();
  }
}

function newId() {
  return nextId++;
}

function respId(id) {
  return opt.hexIds ? id.toString(16).toUpperCase().padStart(8, '0') : String(id);
}

function receiptId(id) {
  return String(id);
}

// The concatenation header of a submit_sm's short_message, {ref, total, seq}, or null.
function partOf(pdu) {
  const msg = pdu.short_message || {};
  const udh = (msg.udh || []).map((u) => Array.from(u));
  const concat = udh.find((u) => u[0] === 0x00 || u[0] === 0x08);
  if (concat && concat[0] === 0x00) {
    return { ref: concat[2], total: concat[3], seq: concat[4] };
  } else if (concat) {
    return { ref: concat[2] * 256 + concat[3], total: concat[4], seq: concat[5] };
  }
  return null;
}

function take(session, pdu, id) {
  const msg = pdu.short_message || {};
  const part = partOf(pdu);
  let text = typeof msg.message === 'string' ? msg.message : null;
  if (text === null && pdu.message_payload) {
    const p = pdu.message_payload;
    text = typeof p === 'string' ? p : (p.message !== undefined ? p.message : null);
  }
  stats.taken++;
  fs.writeSync(logFd, JSON.stringify({
    id: respId(id), receiptId: receiptId(id), systemId: session.systemId, to: pdu.destination_addr,
    from: pdu.source_addr, sourceTon: pdu.source_addr_ton, sourceNpi: pdu.source_addr_npi,
    destTon: pdu.dest_addr_ton, destNpi: pdu.dest_addr_npi, dataCoding: pdu.data_coding,
    esmClass: pdu.esm_class, registeredDelivery: pdu.registered_delivery, part, text,
  }) + '\n');
}

function stamp(d) {
  const p = (x) => String(x).padStart(2, '0');
  return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes());
}

function receiver(preferred) {
  if (preferred && opt.receiptsElsewhere) {
    const others = Array.from(sessions).filter((s) => s !== preferred && (s.bound === 'receiver' || s.bound === 'transceiver'));
    if (others.length > 0) {
      stats.receiptsElsewhere++;
      return others[elsewhereTurn++ % others.length];
    }
  }
  if (preferred && sessions.has(preferred) && preferred.bound === 'transceiver') {
    return preferred;
  }
  for (const s of sessions) {
    if (s.bound === 'receiver' || s.bound === 'transceiver') {
      return s;
    }
  }
  return null;
}

// Receipts wait here while no receiver is bound, and come back here when a session closes before
// their deliver_sm_resp: an SMSC keeps a receipt until the ESME acknowledged it.
const queuedReceipts = [];

// At most this many deliver_sm unanswered per session (an SMSC's window towards the ESME).
const DELIVER_WINDOW = 50;

function flushReceipts() {
  while (queuedReceipts.length > 0) {
    const target = receiver(null);
    if (!target || (target.pendingReceipts && target.pendingReceipts.size >= DELIVER_WINDOW)) {
      return;
    }
    sendReceipt(target, queuedReceipts.shift());
  }
}

function sendReceipt(target, options) {
  if (!target.pendingReceipts) {
    target.pendingReceipts = new Map();
  }
  if (target.pendingReceipts.size >= DELIVER_WINDOW) {
    queuedReceipts.push(options);
    return;
  }
  const key = {};
  target.pendingReceipts.set(key, options);
  target.deliver_sm(Object.assign({}, options), function (resp) {
    target.pendingReceipts.delete(key);
    stats.receiptResps++;
    if (resp.command_status !== 0) {
      stats.receiptsRefused++;
      emit({ event: 'receipt-refused', status: resp.command_status });
      queuedReceipts.push(options); // refused: kept, offered again after a while
      setTimeout(flushReceipts, 500);
    } else if (queuedReceipts.length > 0) {
      setImmediate(flushReceipts);
    }
  });
}

function receipt(session, pdu, id, statOverride) {
  const part = partOf(pdu);
  const undeliverable = opt.undeliverableSuffix && String(pdu.destination_addr).endsWith(opt.undeliverableSuffix)
    && (opt.undeliverablePart === 0 || part === null || part.seq === opt.undeliverablePart);
  const stat = statOverride || (undeliverable ? 'UNDELIV' : 'DELIVRD');
  const now = new Date();
  const text = 'id:' + receiptId(id) + ' sub:001 dlvrd:' + (stat === 'DELIVRD' ? '001' : '000') + ' submit date:'
    + stamp(now) + ' done date:' + stamp(now) + ' stat:' + stat + ' err:' + (stat === 'DELIVRD' ? '000' : '001')
    + ' text:' + String((pdu.short_message && pdu.short_message.message) || '').substring(0, 20).replace(/[^ -~]/g, '.');
  stats.receipts++;
  const withTlv = opt.receiptTlvEvery > 0 && stats.receipts % opt.receiptTlvEvery === 0;
  const target = receiver(session);
  const options = {
    source_addr: pdu.destination_addr, source_addr_ton: 1, source_addr_npi: 1,
    destination_addr: pdu.source_addr, esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
    data_coding: 0, short_message: Buffer.from(text, 'ascii'),
  };
  if (withTlv) {
    options.receipted_message_id = respId(id);
    options.message_state = stat === 'DELIVRD' ? smpp.MESSAGE_STATE.DELIVERED : smpp.MESSAGE_STATE.UNDELIVERABLE;
  }
  if (!target) {
    queuedReceipts.push(options);
    return;
  }
  sendReceipt(target, options);
}

function command(line) {
  let c;
  try {
    c = JSON.parse(line);
  } catch (e) {
    emit({ event: 'bad-command', line });
    return;
  }
  if (c.cmd === 'mo') {
    const target = receiver(null);
    if (!target) {
      emit({ event: 'mo-undeliverable' });
      return;
    }
    stats.mo++;
    target.deliver_sm({
      source_addr: c.from, source_addr_ton: 1, source_addr_npi: 1, destination_addr: c.to,
      esm_class: 0, short_message: c.text,
    }, function (resp) {
      emit({ event: 'mo-resp', from: c.from, text: c.text, status: resp.command_status });
    });
  } else if (c.cmd === 'drop') {
    stats.drops++;
    for (const s of sessions) {
      s.destroy();
    }
    emit({ event: 'dropped' });
  } else if (c.cmd === 'garbage') {
    for (const s of sessions) {
      if (s.bound) {
        // a command_length of 9 (below the 16-byte header), then noise
        s.socket.write(Buffer.from([0, 0, 0, 9, 0xde, 0xad, 0xbe, 0xef, 0x42]));
      }
    }
    emit({ event: 'garbage-sent' });
  } else if (c.cmd === 'bad-receipt' || c.cmd === 'receipt') {
    const target = receiver(null);
    if (!target) {
      emit({ event: 'receipt-undeliverable' });
      return;
    }
    const text = c.cmd === 'bad-receipt' ? c.text
      : 'id:' + c.id + ' sub:001 dlvrd:001 submit date:2612070000 done date:2612070000 stat:' + (c.stat || 'DELIVRD') + ' err:000 text:';
    target.deliver_sm({ source_addr: '447400000000', destination_addr: 'HERALD', esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
      data_coding: 0, short_message: Buffer.from(text, 'latin1') }, function (resp) {
      emit({ event: c.cmd + '-resp', status: resp.command_status });
    });
  } else if (c.cmd === 'stats') {
    const bound = Array.from(sessions).filter((x) => x.bound).length;
    emit(Object.assign({ event: 'stats', sessions: sessions.size, bound, queuedReceipts: queuedReceipts.length }, stats));
  } else {
    emit({ event: 'bad-command', line });
  }
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) {
      continue;
    }
    const key = argv[i].substring(2);
    if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      out[key] = argv[++i];
    } else {
      out[key] = true;
    }
  }
  return out;
}

function int(v, d) {
  if (v === undefined) {
    return d;
  }
  const n = parseInt(v, 10);
  if (Number.isNaN(n)) {
    throw new Error('not a number: ' + v);
  }
  return n;
}

server.on('error', (e) => {
  emit({ event: 'server-error', message: String(e.message) });
  process.exit(2);
});
server.listen(opt.port, '127.0.0.1', function () {
  emit({ event: 'listening', port: server.address().port });
});
readline.createInterface({ input: process.stdin }).on('line', command).on('close', () => {
  for (const s of sessions) {
    s.destroy();
  }
  server.close();
  fs.closeSync(logFd);
  process.exit(0);
});
