// Why did the WebSocket fail before it opened?
//
// A browser never shows a page the body of a refused handshake: whether a
// proxy dropped the Upgrade/Connection headers (the server answers 426),
// the Origin check refused it (403) or the request was malformed (400),
// the page only sees a close with code 1006. So, when a socket closes
// without ever opening, the page asks the server with a plain GET to the
// same path: the endpoint answers 426 with an explanation in plain text,
// and, when this client's last handshake on that path was refused less
// than a minute ago, that refusal's status and reason too
// (catalina_py/websocket/server.py, ServerContainer.handshake).
"use strict";

/** Ask the server why the WebSocket at wsUrl did not open, and pass the
 *  answer (a plain-text paragraph) to show(text). */
async function explainFailedHandshake(wsUrl, show) {
  const httpUrl = wsUrl.replace(/^ws(s?):/, "http$1:");
  try {
    const answer = await fetch(httpUrl, { cache: "no-store", credentials: "same-origin" });
    const text = (await answer.text()).slice(0, 2000);
    show("The handshake failed; the server says (" + answer.status + " " + answer.statusText + "):\n" + text);
  } catch (error) {
    show("The handshake failed, and the server could not be asked why: " + error);
  }
}
