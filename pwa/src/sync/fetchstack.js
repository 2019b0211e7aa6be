// tus-js-client's HTTP stack over fetch(), for the service worker (which has no XMLHttpRequest):
// with it, Background Sync sends photos and audio too when no page of the app is open. fetch()
// reports no upload progress; the chunks are 1 MiB, so a stop loses at most one.
export class FetchHttpStack {
  createRequest(method, url) {
    return new FetchRequest(method, url);
  }

  getName() {
    return "FetchHttpStack";
  }
}

class FetchRequest {
  constructor(method, url) {
    this.method = method;
    this.url = url;
    this.headers = {};
    this.controller = new AbortController();
  }

  getMethod() {
    return this.method;
  }

  getURL() {
    return this.url;
  }

  setHeader(name, value) {
    this.headers[name] = value;
  }

  getHeader(name) {
    return this.headers[name];
  }

  setProgressHandler() {}

  async send(body = null) {
    const response = await fetch(this.url, {
      method: this.method,
      headers: this.headers,
      body,
      signal: this.controller.signal,
    });
    return new FetchResponse(response, await response.text());
  }

  async abort() {
    this.controller.abort();
  }

  getUnderlyingObject() {
    return this.controller;
  }
}

class FetchResponse {
  constructor(response, text) {
    this.response = response;
    this.text = text;
  }

  getStatus() {
    return this.response.status;
  }

  getHeader(name) {
    return this.response.headers.get(name) ?? undefined;
  }

  getBody() {
    return this.text;
  }

  getUnderlyingObject() {
    return this.response;
  }
}
