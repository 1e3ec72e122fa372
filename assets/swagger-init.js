/* Swagger UI for /api/schema/, served by this server: nothing external. */
window.ui = SwaggerUIBundle({
	url: "/api/schema/",
	dom_id: "#swagger-ui",
	deepLinking: true,
	persistAuthorization: true,
	validatorUrl: null,
	presets: [SwaggerUIBundle.presets.apis],
	layout: "BaseLayout"
});
