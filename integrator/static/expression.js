// Voxflow web page: the speaking-style menu (filled from GET /v1/styles) and the intensity slider.
// Loaded before app.js, which calls loadStyles() with the voices and expressionFields() for each request.
"use strict";

async function loadStyles(headers) {
  let response;
  try {
    response = await fetch("/v1/styles", { headers });
  } catch (_) {
    return;  // app.js reports an unreachable server from the voices request
  }
  if (!response.ok) return;
  const data = await response.json();
  const select = document.getElementById("style");
  const chosen = select.value;
  select.length = 0;
  for (const style of data.styles) {
    const option = document.createElement("option");
    option.value = style.name;
    const alias = style.aliases.length ? ` ${style.aliases.join(" / ")}` : "";
    option.textContent = `${style.name}${alias}`;
    option.title = style.description;
    select.appendChild(option);
  }
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : "neutral";
  showIntensity();
}

// The request fields for the chosen style: none for neutral, so plain requests stay as they were.
function expressionFields() {
  const style = document.getElementById("style").value;
  if (!style || style === "neutral") return {};
  return { style, intensity: Number(document.getElementById("intensity").value) / 100 };
}

function showIntensity() {
  const slider = document.getElementById("intensity");
  const style = document.getElementById("style").value;
  document.getElementById("intensity-value").textContent = `${slider.value} %`;
  slider.disabled = !style || style === "neutral";
}

document.getElementById("intensity").addEventListener("input", showIntensity);
document.getElementById("style").addEventListener("change", showIntensity);
