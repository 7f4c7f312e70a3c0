// Console behaviour that needs no server round trip. No inline scripts: the CSP forbids them.
// A submit button with data-confirm asks before its form is sent.
document.addEventListener("submit", (event) => {
  const question = event.submitter && event.submitter.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
