/* The check-in page's scanner: the phone's camera in the page (getUserMedia), QR codes read by the
   browser's BarcodeDetector where it has one and by the vendored jsQR where it does not, each code
   checked in through the JSON answer of the same form (no reload between people), with a colour
   and a beep per result. Without JavaScript or a camera the page's forms do the same. */
(function () {
  'use strict';
  var root = document.getElementById('scanner');
  if (!root || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  var d = root.dataset;
  var toggle = document.getElementById('scan-toggle');
  var frame = document.getElementById('scan-frame');
  var video = document.getElementById('scan-video');
  var status = document.getElementById('scan-status');
  var log = document.getElementById('scan-log');
  var canvas = document.createElement('canvas');
  var context = canvas.getContext('2d', {willReadFrequently: true});
  var stream = null, detector = null, audio = null, busy = false;
  var seen = {};  // code → when it was last sent: a QR held in front of the camera is sent once
  var REPEAT_MS = 8000;
  root.hidden = false;

  function beep(ok) {
    if (!audio) { return; }
    var osc = audio.createOscillator(), gain = audio.createGain(), t = audio.currentTime;
    osc.type = ok ? 'sine' : 'square';
    osc.frequency.value = ok ? 880 : 220;
    gain.gain.setValueAtTime(0.2, t);
    gain.gain.exponentialRampToValueAtTime(0.001, t + (ok ? 0.15 : 0.45));
    osc.connect(gain).connect(audio.destination);
    osc.start(t);
    osc.stop(t + (ok ? 0.15 : 0.45));
  }

  function codeOf(text) {
    // The QR carries the check-in URL (…/lab/checkin?code=XXXX); a bare code is accepted too.
    try {
      var url = new URL(text, window.location.href);
      if (url.searchParams.get('code')) { return url.searchParams.get('code'); }
    } catch (e) { /* not a URL */ }
    return text.trim();
  }

  function post(url, fields) {
    var body = new FormData();
    body.append('csrf_token', d.csrf);
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(url, {method: 'POST', body: body, credentials: 'same-origin',
                       headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.json(); });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function button(cls, text, onclick) {
    var b = el('button', 'btn ' + cls, text);
    b.type = 'button';
    b.addEventListener('click', onclick);
    return b;
  }

  function showResult(answer, card) {
    // One card per person: a new scan adds one on top, a correction redraws its own.
    card = card || el('div', '');
    card.innerHTML = '';
    if (answer.error) {
      card.className = 'alert alert-danger scan-result';
      card.dataset.outcome = answer.error.code;
      card.textContent = answer.error.message;
      beep(false);
      return card;
    }
    var b = answer.booking;
    card.className = 'alert alert-' + answer.category + ' scan-result';
    card.dataset.outcome = answer.outcome;
    card.appendChild(el('div', 'fw-semibold fs-5', answer.message));
    if (b) {
      card.dataset.code = b.code;
      card.appendChild(el('div', 'small', b.code + ' · ' + b.slot + ' · ' + d.msgParty + ' ' +
                          b.party_size + (b.phone ? ' · ' + b.phone : '')));
      var actions = el('div', 'd-flex flex-wrap gap-2 mt-2');
      if (answer.outcome === 'not_today') {
        actions.appendChild(button('btn-warning', d.msgEarly, function () {
          post(d.checkinUrl, {code: b.code, early: 'y'}).then(function (a) { showResult(a, card); });
        }));
      }
      if (b.can_undo) {
        if (b.party_size > 1) {
          var label = el('label', 'visually-hidden', d.msgArrived);
          var select = el('select', 'form-select w-auto');
          select.id = 'arrived-' + b.code;
          label.htmlFor = select.id;
          for (var n = b.party_size; n >= 1; n--) {
            var option = el('option', '', String(n));
            option.value = String(n);
            option.selected = n === b.arrived;
            select.appendChild(option);
          }
          actions.appendChild(label);
          actions.appendChild(select);
          actions.appendChild(button('btn-outline-dark', d.msgCorrect, function () {
            post(d.arrivedUrl, {code: b.code, arrived: select.value})
              .then(function (a) { showResult(a, card); });
          }));
        }
        actions.appendChild(button('btn-danger', d.msgUndo, function () {
          post(d.undoUrl, {code: b.code}).then(function (a) { showResult(a, card); });
        }));
      }
      if (actions.children.length) { card.appendChild(actions); }
    }
    beep(answer.category === 'success' || answer.category === 'info');
    return card;
  }

  function checkIn(code) {
    busy = true;
    post(d.checkinUrl, {code: code})
      .then(function (answer) { log.insertBefore(showResult(answer), log.firstChild); })
      .catch(function () { log.insertBefore(showResult({error: {code: 'network', message: d.msgError}}), log.firstChild); })
      .then(function () { busy = false; });
  }

  function found(text) {
    var code = codeOf(text), now = Date.now();
    if (!code || busy || (seen[code] && now - seen[code] < REPEAT_MS)) { return; }
    seen[code] = now;
    checkIn(code);
  }

  function readFrame() {
    if (!stream) { return; }
    if (video.readyState < 2 || busy) { window.setTimeout(readFrame, 150); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) { found(codes[0].rawValue); }
      }).catch(function () { /* a frame it could not read */ })
        .then(function () { window.setTimeout(readFrame, 150); });
      return;
    }
    var w = video.videoWidth, h = video.videoHeight;
    if (w && h && window.jsQR) {
      var scale = Math.min(1, 640 / Math.max(w, h));
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var qr = window.jsQR(image.data, image.width, image.height, {inversionAttempts: 'dontInvert'});
      if (qr && qr.data) { found(qr.data); }
    }
    window.setTimeout(readFrame, 150);
  }

  function loadDecoder() {
    if ('BarcodeDetector' in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf('qr_code') >= 0) {
          detector = new window.BarcodeDetector({formats: ['qr_code']});
          return;
        }
        return loadJsQR();
      }).catch(loadJsQR);
    }
    return loadJsQR();
  }

  function loadJsQR() {
    if (window.jsQR) { return Promise.resolve(); }
    return new Promise(function (resolve, reject) {
      var script = document.createElement('script');
      script.src = d.jsqrUrl;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null;
    frame.hidden = true;
    toggle.textContent = d.msgStart;
    status.textContent = '';
  }

  toggle.addEventListener('click', function () {
    if (stream) { stop(); return; }
    // Sound may only start from a tap: the AudioContext is made here.
    if (!audio && (window.AudioContext || window.webkitAudioContext)) {
      audio = new (window.AudioContext || window.webkitAudioContext)();
    }
    navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}, audio: false})
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        frame.hidden = false;
        toggle.textContent = d.msgStop;
        status.textContent = d.msgScanning;
        return Promise.all([video.play(), loadDecoder()]);
      })
      .then(readFrame)
      .catch(function () { stop(); status.textContent = d.msgNoCamera; });
  });

  // Search without leaving the page: today's bookings by name or the phone's last 4 digits.
  var searchForm = document.getElementById('search-form');
  var results = document.getElementById('search-results');
  if (searchForm && results) {
    searchForm.addEventListener('submit', function (event) {
      event.preventDefault();
      var q = searchForm.querySelector('input[name="q"]').value;
      fetch(d.searchUrl + '?q=' + encodeURIComponent(q), {credentials: 'same-origin',
                                                            headers: {'Accept': 'application/json'}})
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          results.innerHTML = '';
          if (answer.error) { results.appendChild(el('p', 'text-danger', answer.error.message)); return; }
          if (!answer.items.length) { results.appendChild(el('p', 'text-body-secondary', d.msgNone)); return; }
          var list = el('ul', 'list-group');
          answer.items.forEach(function (b) {
            var item = el('li', 'list-group-item d-flex flex-wrap justify-content-between align-items-center gap-2 search-item');
            var text = el('span', '');
            text.appendChild(el('strong', '', b.name || b.code));
            text.appendChild(document.createTextNode(' · ' + (b.phone || '—') + ' · ' + d.msgParty + ' ' + b.party_size));
            text.appendChild(document.createElement('br'));
            text.appendChild(el('span', 'small text-body-secondary', b.slot + ' · ' + b.status));
            item.appendChild(text);
            item.appendChild(button('btn-outline-success', d.msgCheckin, function () {
              if (!audio && window.AudioContext) { audio = new window.AudioContext(); }
              checkIn(b.code);
              window.scrollTo(0, root.offsetTop);
            }));
            list.appendChild(item);
          });
          results.appendChild(list);
        })
        .catch(function () { results.textContent = d.msgError; });
    });
  }
}());
