// The request form's date-time pickers. Each time field is text (it takes every form the API takes:
// "2019-01-01 00:00", "now", "-1h"…); the native picker beside it writes "YYYY-MM-DDTHH:MM", which the
// server reads as UTC, and shows the text's time when the text is in that form. Without this script the
// pickers stay hidden and the text fields work alone. No inline script: the page's CSP forbids it.
(function () {
  "use strict";
  var plain = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::00)?Z?$/;

  function pickerValue(text) {
    var match = plain.exec(text.trim());
    return match ? match[1] + "T" + match[2] : "";
  }

  document.querySelectorAll(".time-picker").forEach(function (picker) {
    var field = document.getElementById(picker.dataset.for);
    if (!field) {
      return;
    }
    picker.hidden = false;
    picker.value = pickerValue(field.value);
    picker.addEventListener("change", function () {
      if (picker.value) {
        field.value = picker.value.replace("T", " ");
      }
    });
    field.addEventListener("input", function () {
      picker.value = pickerValue(field.value);
    });
  });
})();
