/* The brand page's preview follows what the admin types and the logo they choose. */
(function () {
  "use strict";
  var form = document.getElementById("brand-form");
  if (!form) { return; }
  function show(selector, text) {
    var el = document.querySelector(selector);
    if (el) { el.textContent = text; }
  }
  function update() {
    show("[data-preview-company]", form.elements.company_name.value.trim());
    show("[data-preview-contact]", form.elements.contact_line.value.trim());
    show("[data-preview-signature]", "【" + (form.elements.sms_signature.value.trim() || "…") + "】");
  }
  form.addEventListener("input", update);
  var logo = form.elements.logo;
  if (logo && window.FileReader) {
    logo.addEventListener("change", function () {
      var file = logo.files && logo.files[0];
      if (!file || !/^image\/(png|jpeg|webp)$/.test(file.type)) { return; }
      var reader = new FileReader();
      reader.onload = function () {
        var img = document.querySelector("[data-preview-logo]");
        var icon = document.querySelector("[data-preview-icon]");
        img.src = reader.result;
        img.classList.remove("d-none");
        if (icon) { icon.classList.add("d-none"); }
      };
      reader.readAsDataURL(file);
    });
  }
}());
