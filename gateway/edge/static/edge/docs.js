// One Swagger UI over every service's schema, chosen from the top bar.
window.addEventListener("load", function () {
  const schemas = JSON.parse(document.getElementById("schemas").textContent);
  window.ui = SwaggerUIBundle({
    urls: schemas,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
  });
});
