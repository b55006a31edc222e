// embedauth passkeys: the only script of embedauth's pages, a module with no
// dependencies, loaded from the same origin (no inline script, so it runs
// under the pages' Content-Security-Policy). It calls navigator.credentials
// with the options the JSON API gives and posts back what the browser made.
// Everything is driven by data attributes:
//
//   data-passkey-only          shown only where WebAuthn (with its JSON
//                              helpers) is available; hidden otherwise
//   data-passkey-unsupported   shown only where it is not
//   data-passkey-error         where a failure is explained
//   data-passkey="sign-in"     a button: sign in with a passkey; with
//                              data-email (a selector), the typed address
//                              asks for that account's passkeys
//   data-passkey-autofill      an email input: offer passkeys in its
//                              autofill (conditional mediation)
//   data-passkey="register"    a button: create a passkey
//   data-passkey="verify"      a button: use a passkey (second factor)
//   data-passkey-reauth        a form: confirm with a passkey, then submit
//
// Buttons and inputs carry data-begin and data-finish (API URLs) and
// data-next (where to go on success).

const supported =
  typeof window.PublicKeyCredential === "function" &&
  typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
  typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function" &&
  typeof PublicKeyCredential.prototype.toJSON === "function";

for (const el of document.querySelectorAll("[data-passkey-only]")) el.hidden = !supported;
for (const el of document.querySelectorAll("[data-passkey-unsupported]")) el.hidden = supported;

class APIError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

async function post(url, body) {
  const res = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  let data = null;
  try {
    data = await res.json();
  } catch {
    // not JSON: the status says enough
  }
  if (!res.ok) {
    const e = data && data.error;
    throw new APIError((e && e.message) || text("failed", "Something went wrong. Try again."), e && e.code);
  }
  return data;
}

// useKey runs an assertion: options from begin, the browser's answer to finish.
async function useKey(begin, finish, body, mediation, signal) {
  const options = await post(begin, body);
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
  const request = { publicKey, signal };
  if (mediation) request.mediation = mediation;
  const credential = await navigator.credentials.get(request);
  return post(finish, credential.toJSON());
}

// makeKey runs a registration.
async function makeKey(begin, finish) {
  const options = await post(begin, {});
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey);
  const credential = await navigator.credentials.create({ publicKey });
  return post(finish, credential.toJSON());
}

// text is a message in the page's language: the page puts its
// translations on <body> as data-msg-NAME; English is the fallback.
function text(name, english) {
  const m = document.body && document.body.dataset["msg" + name[0].toUpperCase() + name.slice(1)];
  return m || english;
}

function describe(err) {
  switch (err && err.name) {
    case "AbortError":
      return "";
    case "NotAllowedError":
      return text("cancelled", "The passkey request was cancelled or timed out.");
    case "InvalidStateError":
      return text("exists", "This device already has a passkey for your account.");
    case "SecurityError":
      return text("insecure", "Passkeys can't be used at this address.");
  }
  if (err instanceof APIError) return err.message;
  return text("broken", "Something went wrong with the passkey. Try again.");
}

// show explains err (or clears the message) near el.
function show(el, err) {
  const text = typeof err === "string" ? err : describe(err);
  const scope = el.closest("form, section") || document;
  let box = scope.querySelector("[data-passkey-error]");
  if (!box && text) {
    box = document.createElement("p");
    box.className = "ea-alert ea-alert-error";
    box.setAttribute("data-passkey-error", "");
    box.setAttribute("aria-live", "polite");
    scope.prepend(box);
  }
  if (box) {
    box.textContent = text;
    box.hidden = !text;
  }
}

// go navigates to url, reloading when only the fragment differs.
function go(url) {
  const target = new URL(url || "/", window.location.href);
  if (target.pathname === window.location.pathname && target.search === window.location.search) {
    if (target.hash !== window.location.hash) window.history.replaceState(null, "", target.href);
    window.location.reload();
    return;
  }
  window.location.assign(target.href);
}

// after is where to go once a sign-in answered: its next step when it needs
// one (a new device waits for the code mailed to the user), else next.
function after(data, next) {
  if (data && data.status === "device_verification_required" && data.next) {
    const target = new URL(data.next, window.location.href);
    if (next) target.searchParams.set("redirect_url", next);
    return target.href;
  }
  return next;
}

// The autofill request, while one is pending.
let autofill = null; // { controller, done }

// Challenges live 5 minutes: the autofill request is renewed before.
const renewAfter = 4 * 60 * 1000;

async function startAutofill(input) {
  if (typeof PublicKeyCredential.isConditionalMediationAvailable !== "function") return;
  if (!(await PublicKeyCredential.isConditionalMediationAvailable())) return;
  for (;;) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), renewAfter);
    const done = useKey(input.dataset.begin, input.dataset.finish, {}, "conditional", controller.signal);
    autofill = { controller, done };
    try {
      go(after(await done, input.dataset.next));
      return;
    } catch (err) {
      if (!controller.signal.aborted) {
        show(input, err);
        return;
      }
      if (autofill === null || autofill.controller !== controller) return; // a button took over
    } finally {
      clearTimeout(timer);
    }
  }
}

// stopAutofill ends the pending autofill request, so another may start.
async function stopAutofill() {
  const current = autofill;
  autofill = null;
  if (current) {
    current.controller.abort();
    await current.done.catch(() => {});
  }
}

async function signIn(button) {
  await stopAutofill();
  const input = button.dataset.email ? document.querySelector(button.dataset.email) : null;
  const email = input ? input.value.trim() : "";
  show(button, "");
  button.disabled = true;
  try {
    go(after(await useKey(button.dataset.begin, button.dataset.finish, email ? { email } : {}), button.dataset.next));
    return;
  } catch (err) {
    show(button, err);
  } finally {
    button.disabled = false;
  }
  const field = document.querySelector("input[data-passkey-autofill]");
  if (field) startAutofill(field);
}

async function verify(button) {
  show(button, "");
  button.disabled = true;
  try {
    go(after(await useKey(button.dataset.begin, button.dataset.finish, {}), button.dataset.next));
  } catch (err) {
    show(button, err);
  } finally {
    button.disabled = false;
  }
}

async function register(button) {
  show(button, "");
  button.disabled = true;
  try {
    await makeKey(button.dataset.begin, button.dataset.finish);
    go(button.dataset.next);
  } catch (err) {
    // A sensitive change after the reverification window: confirm it's
    // the user on the server's page, which comes back here.
    if (err.code === "reverification_required" && button.dataset.reverify) {
      location.assign(button.dataset.reverify);
      return;
    }
    show(button, err);
  } finally {
    button.disabled = false;
  }
}

if (supported) {
  const actions = { "sign-in": signIn, verify, register };
  for (const button of document.querySelectorAll("button[data-passkey]")) {
    const action = actions[button.dataset.passkey];
    if (action) button.addEventListener("click", () => action(button));
  }
  for (const form of document.querySelectorAll("form[data-passkey-reauth]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      show(form, "");
      try {
        await useKey(form.dataset.begin, form.dataset.finish, {});
        form.submit(); // submit() fires no submit event: no loop
      } catch (err) {
        show(form, err);
      }
    });
  }
  const field = document.querySelector("input[data-passkey-autofill]");
  if (field) startAutofill(field);
}
